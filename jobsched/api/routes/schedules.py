"""/schedules: CRUD, pause/resume, trigger, backfill, preview, ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Query, Response

from jobsched.api.auth import require_read, require_write
from jobsched.api.deps import (
    PAGED,
    IfMatch,
    Limit,
    Offset,
    ScheduleId,
    etag,
    get_engine,
    now,
    page,
    paged,
    versioned,
)
from jobsched.api.responses import ERRORS, WRITE_ERRORS
from jobsched.domain.model import FireStatus, SkipReason
from jobsched.service import actions, reads
from jobsched.service import schedules as service
from jobsched.service.models import (
    BackfillInput,
    BackfillOut,
    LedgerPage,
    PauseInput,
    PreviewOut,
    ResumeInput,
    ScheduleDraft,
    ScheduleInput,
    ScheduleOut,
    SchedulePatch,
    TriggerInput,
    TriggerOut,
)

router = APIRouter(prefix="/schedules", tags=["schedules"], responses=ERRORS)
Engine = Annotated[sa.Engine, Depends(get_engine)]
Read = [Depends(require_read)]
Write = [Depends(require_write)]
Count = Annotated[int, Query(ge=1, le=reads.MAX_PREVIEW, description="how many fires (skips come on top)")]
After = Annotated[datetime | None, Query(description="start after this instant (default: now); naive = UTC")]


@router.get("", dependencies=Read, responses=PAGED)
def list_schedules(
    engine: Engine,
    response: Response,
    limit: Limit = 100,
    offset: Offset = 0,
    job_key: Annotated[str | None, Query(max_length=100)] = None,
    calendar: Annotated[str | None, Query(max_length=100)] = None,
    enabled: bool | None = None,
    paused: bool | None = None,
) -> list[ScheduleOut]:
    """Schedules by id, bad rows included (see `problem`); filters match column values exactly."""
    found = service.list_schedules(
        engine, page(limit, offset), job_key=job_key, calendar=calendar, enabled=enabled, paused=paused
    )
    return paged(found, limit, offset, response)


@router.post("", status_code=201, dependencies=Write, responses=WRITE_ERRORS)
def create_schedule(body: ScheduleInput, engine: Engine, response: Response) -> ScheduleOut:
    created = service.create_schedule(engine, body.model_dump(exclude_unset=True), now())
    response.headers["Location"] = f"/schedules/{created.id}"
    etag(response, created.version)
    return created


@router.post("/preview", dependencies=Read)
def preview_draft(
    body: Annotated[ScheduleDraft, Body()], engine: Engine, count: Count = 10, after: After = None
) -> PreviewOut:
    """Preview an unsaved schedule: the next fires with the skips in between. Nothing is written."""
    return reads.preview_draft(engine, body.model_dump(exclude_unset=True), count, after or now(), now())


@router.get("/{schedule_id}", dependencies=Read)
def get_schedule(schedule_id: ScheduleId, engine: Engine, response: Response) -> ScheduleOut:
    found = service.get_schedule(engine, schedule_id)
    etag(response, found.version)
    return found


@router.patch("/{schedule_id}", dependencies=Write, responses=WRITE_ERRORS)
def update_schedule(
    schedule_id: ScheduleId, body: SchedulePatch, engine: Engine, response: Response, if_match: IfMatch = None
) -> ScheduleOut:
    patch = body.model_dump(exclude_unset=True)
    body_version = patch.pop("version", None)
    updated = versioned(
        if_match, body_version, lambda v: service.update_schedule(engine, schedule_id, patch, v, now())
    )
    etag(response, updated.version)
    return updated


@router.delete("/{schedule_id}", status_code=204, dependencies=Write, responses=WRITE_ERRORS)
def delete_schedule(
    schedule_id: ScheduleId,
    engine: Engine,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Deletes the row, its planning state and its ledger. To stop it and keep its history, set
    enabled=false instead."""
    versioned(if_match, version, lambda v: service.delete_schedule(engine, schedule_id, v))
    return Response(status_code=204)


@router.post("/{schedule_id}/pause", dependencies=Write, responses=WRITE_ERRORS)
def pause_schedule(
    schedule_id: ScheduleId, body: PauseInput, engine: Engine, response: Response
) -> ScheduleOut:
    """Fires while paused are recorded as `paused` skips; resuming never replays them."""
    updated = service.pause_schedule(engine, schedule_id, body.reason, body.version)
    etag(response, updated.version)
    return updated


@router.post("/{schedule_id}/resume", dependencies=Write, responses=WRITE_ERRORS)
def resume_schedule(
    schedule_id: ScheduleId, engine: Engine, response: Response, body: ResumeInput | None = None
) -> ScheduleOut:
    updated = service.resume_schedule(engine, schedule_id, body.version if body else None)
    etag(response, updated.version)
    return updated


@router.post("/{schedule_id}/trigger", status_code=202, dependencies=Write, responses=WRITE_ERRORS)
def trigger_schedule(schedule_id: ScheduleId, engine: Engine, body: TriggerInput | None = None) -> TriggerOut:
    """A manual fire now: a ledger entry the engine sensor turns into a run tagged jobsched/trigger=manual."""
    return actions.trigger_now(engine, schedule_id, now(), body.business_date if body else None)


@router.post("/{schedule_id}/backfill", status_code=202, dependencies=Write, responses=WRITE_ERRORS)
def backfill_schedule(schedule_id: ScheduleId, body: BackfillInput, engine: Engine) -> BackfillOut:
    """Queue the fires the calendar allows for business dates start..end (tagged backfill). Fires already in
    the ledger are reported, never queued again."""
    return actions.backfill(engine, schedule_id, body.start, body.end, now(), body.dry_run)


@router.get("/{schedule_id}/preview", dependencies=Read)
def preview_schedule(
    schedule_id: ScheduleId, engine: Engine, count: Count = 10, after: After = None
) -> PreviewOut:
    return reads.preview_saved(engine, schedule_id, count, after or now(), now())


@router.get("/{schedule_id}/fires", dependencies=Read)
def list_fires(
    schedule_id: ScheduleId,
    engine: Engine,
    status: FireStatus | None = None,
    reason: SkipReason | None = None,
    limit: Annotated[int, Query(ge=1, le=reads.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> LedgerPage:
    """The ledger: fires and skips, newest first, with run ids and outcomes."""
    return reads.ledger_page(
        engine,
        schedule_id,
        status.value if status else None,
        reason.value if reason else None,
        limit,
        offset,
    )
