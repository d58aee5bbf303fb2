"""/calendars: exchange calendars (read-only) and custom calendars with their dated overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Response

from jobsched.api.auth import require_read, require_write
from jobsched.api.deps import PAGED, IfMatch, Limit, Offset, etag, get_engine, now, page, paged, versioned
from jobsched.api.responses import ERRORS, WRITE_ERRORS
from jobsched.service import calendars as service
from jobsched.service.models import (
    CalendarInput,
    CalendarOut,
    CalendarPatch,
    ExchangeOut,
    OverrideInput,
    OverrideOut,
    OverridePatch,
)

router = APIRouter(prefix="/calendars", tags=["calendars"], responses=ERRORS)
Engine = Annotated[sa.Engine, Depends(get_engine)]
Name = Annotated[str, Path(max_length=100, description="custom calendar name")]
Day = Annotated[date, Path(description="the override's date")]
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Read = [Depends(require_read)]
Write = [Depends(require_write)]


@router.get("/exchanges", dependencies=Read)
def list_exchanges() -> list[str]:
    """Exchange calendar codes (exchange-calendars) usable as a schedule's `calendar` or a custom base."""
    return service.list_exchanges()


@router.get("/exchanges/{code}", dependencies=Read)
def get_exchange(code: Annotated[str, Path(max_length=20)]) -> ExchangeOut:
    """An exchange calendar's zone and the dates its data covers (the data horizon)."""
    return service.get_exchange(code, now())


@router.get("", dependencies=Read, responses=PAGED)
def list_calendars(
    engine: Engine,
    response: Response,
    limit: Limit = 100,
    offset: Offset = 0,
    base: Annotated[str | None, Query(max_length=20, description="exchange code it is based on")] = None,
) -> list[CalendarOut]:
    """Custom calendars by name, bad rows included (see `problem`)."""
    found = service.list_calendars(engine, now(), page(limit, offset), base)
    return paged(found, limit, offset, response)


@router.post("", status_code=201, dependencies=Write, responses=WRITE_ERRORS)
def create_calendar(body: CalendarInput, engine: Engine, response: Response) -> CalendarOut:
    created = service.create_calendar(engine, body.model_dump(), now())
    response.headers["Location"] = f"/calendars/{quote(created.name or '', safe='')}"
    etag(response, created.version)
    return created


@router.get("/{name}", dependencies=Read)
def get_calendar(name: Name, engine: Engine, response: Response) -> CalendarOut:
    found = service.get_calendar(engine, name, now())
    etag(response, found.version)
    return found


@router.patch("/{name}", dependencies=Write, responses=WRITE_ERRORS)
def update_calendar(
    name: Name, body: CalendarPatch, engine: Engine, response: Response, if_match: IfMatch = None
) -> CalendarOut:
    patch = body.model_dump(exclude_unset=True)
    body_version = patch.pop("version", None)
    updated = versioned(
        if_match, body_version, lambda v: service.update_calendar(engine, name, patch, v, now())
    )
    etag(response, updated.version)
    return updated


@router.delete("/{name}", status_code=204, dependencies=Write, responses=WRITE_ERRORS)
def delete_calendar(
    name: Name, engine: Engine, if_match: IfMatch = None, version: Version = None
) -> Response:
    versioned(if_match, version, lambda v: service.delete_calendar(engine, name, v))
    return Response(status_code=204)


@router.get("/{name}/overrides", dependencies=Read)
def list_overrides(name: Name, engine: Engine) -> list[OverrideOut]:
    return service.get_calendar(engine, name, now()).overrides


@router.post("/{name}/overrides", status_code=201, dependencies=Write, responses=WRITE_ERRORS)
def add_override(name: Name, body: OverrideInput, engine: Engine, response: Response) -> OverrideOut:
    """A dated holiday or extra/changed session (open_time/close_time 'HH:MM' in the calendar's zone)."""
    created = service.add_override(engine, name, body.model_dump(), now())
    etag(response, created.version)
    return created


@router.get("/{name}/overrides/{day}", dependencies=Read)
def get_override(name: Name, day: Day, engine: Engine, response: Response) -> OverrideOut:
    found = service.get_override(engine, name, day)
    etag(response, found.version)
    return found


@router.patch("/{name}/overrides/{day}", dependencies=Write, responses=WRITE_ERRORS)
def update_override(
    name: Name, day: Day, body: OverridePatch, engine: Engine, response: Response, if_match: IfMatch = None
) -> OverrideOut:
    patch = body.model_dump(exclude_unset=True)
    body_version = patch.pop("version", None)
    updated = versioned(
        if_match, body_version, lambda v: service.update_override(engine, name, day, patch, v, now())
    )
    etag(response, updated.version)
    return updated


@router.delete("/{name}/overrides/{day}", status_code=204, dependencies=Write, responses=WRITE_ERRORS)
def delete_override(
    name: Name, day: Day, engine: Engine, if_match: IfMatch = None, version: Version = None
) -> Response:
    versioned(if_match, version, lambda v: service.delete_override(engine, name, day, v))
    return Response(status_code=204)
