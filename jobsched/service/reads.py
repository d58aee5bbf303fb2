"""Reads about a schedule: preview of the next fires (saved row or unsaved draft) and its ledger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from jobsched.domain import planner
from jobsched.domain.calendars import BeyondHorizon, InvalidCalendar, UnknownCalendar
from jobsched.domain.model import FireStatus, Schedule, SkipReason
from jobsched.domain.validation import RowInvalid
from jobsched.engine import Snapshot, load_snapshot, validated
from jobsched.service.actions import fire_out
from jobsched.service.errors import Conflict, Invalid
from jobsched.service.models import EARLIEST, LATEST, LedgerEntryOut, LedgerPage, PreviewOut
from jobsched.service.planning import plan
from jobsched.service.schedules import find_row, validate_schedule
from jobsched.store import ledger

MAX_PREVIEW = 500
MAX_PAGE = 500


def preview_saved(
    engine: sa.Engine, ref: int | str, count: int, after: datetime, now: datetime | None = None
) -> PreviewOut:
    """The next `count` fires of a stored schedule after `after`, with the skips in between."""
    after = _check_preview_args(count, after)
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        row = find_row(conn, ref)
        snapshot = load_snapshot(conn)
    try:
        schedule, _ = validated(snapshot, row)
    except RowInvalid as exc:
        raise Conflict(
            f"schedule {row['id']} cannot be planned as stored: {exc}; fix the row first"
        ) from None
    return _preview(snapshot, schedule, count, after, now, row["id"])


def preview_draft(
    engine: sa.Engine, data: Mapping[str, Any], count: int, after: datetime, now: datetime | None = None
) -> PreviewOut:
    """Preview an unsaved schedule (name and job_key may be left out); nothing is written."""
    after = _check_preview_args(count, after)
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        _, schedule = validate_schedule(conn, data, min(after, now), draft=True)
        snapshot = load_snapshot(conn)
    return _preview(snapshot, schedule, count, after, now, None)


def _preview(
    snapshot: Snapshot,
    schedule: Schedule,
    count: int,
    after: datetime,
    now: datetime,
    schedule_id: int | None,
) -> PreviewOut:
    """The planner's path shared with the calendar view (service.planning), so both show the same."""
    zone = ZoneInfo(schedule.timing.timezone)
    try:
        # Paused, every fire is a skip: stop after `count` of them rather than scanning years ahead.
        max_skips = count if schedule.paused else planner_max_skips(count)
        _, candidates = plan(
            snapshot,
            schedule,
            now,
            after,
            after + planner.PREVIEW_SPAN,
            max_fires=count,
            max_skips=max_skips,
            what=f"a preview of {count} fires",
            narrow="ask for fewer (count) or fix the schedule's calendar and holiday rule",
        )
    except (UnknownCalendar, InvalidCalendar, BeyondHorizon, ValueError, OverflowError) as exc:
        raise Conflict(f"cannot plan this schedule after {after.isoformat()}: {exc}") from None
    return PreviewOut(
        schedule_id=schedule_id,
        timezone=schedule.timing.timezone,
        calendar=schedule.calendar,
        after=after,
        fires=[fire_out(candidate, zone) for candidate in candidates],
    )


def planner_max_skips(count: int) -> int:
    return max(1000, 10 * count)


def _check_preview_args(count: int, after: datetime) -> datetime:
    """Returns `after` in UTC (a naive time means UTC)."""
    if not 1 <= count <= MAX_PREVIEW:
        raise Invalid.one("count", count, f"must be between 1 and {MAX_PREVIEW}", "preview")
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    if not EARLIEST <= after <= LATEST:
        raise Invalid.one("after", after.isoformat(), "must be between 1970-01-01 and 2200-01-01", "preview")
    return after.astimezone(UTC)


def ledger_page(
    engine: sa.Engine,
    ref: int | str,
    status: str | None = None,
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LedgerPage:
    """Fires and skips of a schedule, newest first."""
    if status is not None and status not in FireStatus.__members__.values():
        raise Invalid.one("status", status, f"one of {', '.join(s.value for s in FireStatus)}", "filter")
    if reason is not None and reason not in SkipReason.__members__.values():
        raise Invalid.one("reason", reason, f"one of {', '.join(r.value for r in SkipReason)}", "filter")
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid.one("limit", limit, f"must be between 1 and {MAX_PAGE}", "paging")
    if not 0 <= offset <= 2**31:
        raise Invalid.one("offset", offset, "must be between 0 and 2147483648", "paging")
    with engine.connect() as conn:
        row = find_row(conn, ref)
        found = ledger.entries(conn, row["id"], status, reason, limit + 1, offset)
    items = [LedgerEntryOut(**vars(entry)) for entry in found[:limit]]
    return LedgerPage(
        items=items, limit=limit, offset=offset, next_offset=offset + limit if len(found) > limit else None
    )
