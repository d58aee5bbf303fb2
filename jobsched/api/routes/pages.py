"""HTML pages: the calendar view of a schedule and an index of schedules."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from jobsched.api.auth import require_read
from jobsched.api.deps import ScheduleId, get_engine, now
from jobsched.api.render import calendar_page, index_page
from jobsched.api.responses import ERRORS
from jobsched.service.calendar_view import MAX_MONTHS, calendar_view
from jobsched.service.errors import Invalid
from jobsched.service.overview import overview

router = APIRouter(tags=["pages"], responses=ERRORS)
Engine = Annotated[sa.Engine, Depends(get_engine)]


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise Invalid.one(
            "start", text, "a month YYYY-MM between 1970-01 and 2199-01", "calendar view"
        ) from None


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def schedules_page(engine: Engine) -> HTMLResponse:
    """Every schedule: state, next fire (local and UTC), last outcome and its Dagster run, skips of the last
    24 hours with their reasons, problems."""
    at = now()
    return HTMLResponse(index_page(overview(engine, at), at))


@router.get(
    "/schedules/{schedule_id}/calendar", response_class=HTMLResponse, dependencies=[Depends(require_read)]
)
def schedule_calendar_page(
    schedule_id: ScheduleId,
    engine: Engine,
    months: Annotated[int, Query(ge=1, le=MAX_MONTHS)] = 3,
    start: Annotated[
        str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="first month, YYYY-MM")
    ] = None,
) -> HTMLResponse:
    """The coming months as a calendar: fire days with local times, skips and holidays (reasons on hover),
    half days, the calendar's data horizon."""
    first = _month(start) if start else None
    view = calendar_view(engine, schedule_id, now(), months, first)
    return HTMLResponse(calendar_page(view, months))
