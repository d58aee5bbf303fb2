"""Actions on a schedule that go through the ledger, like every fire: trigger now and backfill.

Both write `pending` ledger entries; the engine sensor claims them and requests the runs, tagged
jobsched/trigger=manual or =backfill. The ledger's unique (schedule_id, fire_at) key means a fire that is
already there (ran, running, queued) is never added twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from jobsched.domain.calendars import BeyondHorizon, InvalidCalendar, UnknownCalendar
from jobsched.domain.model import Candidate, Schedule, Trigger
from jobsched.domain.timing import iter_candidates
from jobsched.domain.validation import RowInvalid, day_problem
from jobsched.engine import Snapshot, load_snapshot, validated
from jobsched.service.errors import Conflict, Invalid
from jobsched.service.models import BackfillOut, FireOut, TriggerOut
from jobsched.service.planning import Budget, calendar_as_engine_sees_it, guarded
from jobsched.service.schedules import find_row
from jobsched.store import ledger
from jobsched.store.repository import JobDefinition
from jobsched.store.schema import fire_ledger

MAX_BACKFILL_FIRES = 1000
MAX_BACKFILL_DAYS = 3 * 366
# A holiday rule may move a fire a few days away from its business date; look this far around the range.
MOVE_MARGIN = timedelta(days=15)


def usable(snapshot: Snapshot, row: dict[str, Any]) -> tuple[Schedule, JobDefinition]:
    """The schedule and its job, or Conflict when the stored rows cannot run (fix them first)."""
    try:
        schedule, job = validated(snapshot, row)
    except RowInvalid as exc:
        raise Conflict(f"schedule {row['id']} cannot run as stored: {exc}; fix the row first") from None
    if not job.enabled:
        raise Conflict(f"job definition {job.job_key!r} is disabled (enabled=false); enable it first")
    return schedule, job


def trigger_now(
    engine: sa.Engine, schedule_id: int | str, now: datetime, business_date: date | None = None
) -> TriggerOut:
    """A manual fire at `now`. It runs even when the schedule is paused: a person asked for it."""
    problem = day_problem(business_date) if business_date is not None else None
    if business_date is not None and problem:
        raise Invalid.one("business_date", business_date.isoformat(), problem, "trigger")
    with engine.begin() as conn:
        row = find_row(conn, schedule_id)
        schedule, job = usable(load_snapshot(conn), row)
        zone = ZoneInfo(schedule.timing.timezone)
        fire_at = now.astimezone(UTC)
        candidate = Candidate(fire_at=fire_at, business_date=business_date or fire_at.astimezone(zone).date())
        ledger_id = ledger.add_pending(conn, schedule.id, job.job_key, candidate, Trigger.MANUAL)
    if ledger_id is None:  # same microsecond as another trigger of this schedule
        raise Conflict(f"schedule {schedule.id} already has a fire at {fire_at.isoformat()}; try again")
    notes = []
    if schedule.paused:
        notes.append("the schedule is paused; this manual fire runs anyway")
    if not schedule.enabled:
        notes.append("the schedule is disabled; this manual fire runs anyway")
    return TriggerOut(
        schedule_id=schedule.id,
        ledger_id=ledger_id,
        fire_at=fire_at,
        business_date=candidate.business_date,
        trigger=Trigger.MANUAL.value,
        run_key=ledger.run_key_for(schedule.id, fire_at),
        note="; ".join(notes) or None,
    )


def backfill(
    engine: sa.Engine, schedule_id: int | str, start: date, end: date, now: datetime, dry_run: bool = False
) -> BackfillOut:
    """Queue every fire the calendar allows whose business date is in [start, end] and that is due by now."""
    for field, day in (("start", start), ("end", end)):
        if day_problem(day):
            raise Invalid.one(field, day.isoformat(), day_problem(day) or "", "backfill")
    if end < start:
        raise Invalid.one("end", end.isoformat(), f"is before start {start.isoformat()}", "backfill")
    if (end - start).days > MAX_BACKFILL_DAYS:
        raise Invalid.one("end", end.isoformat(), f"range longer than {MAX_BACKFILL_DAYS} days", "backfill")
    with engine.begin() as conn:
        row = find_row(conn, schedule_id)
        snapshot = load_snapshot(conn)
        schedule, job = usable(snapshot, row)
        zone = ZoneInfo(schedule.timing.timezone)
        today = now.astimezone(zone).date()
        if end > today:
            raise Invalid.one(
                "end",
                end.isoformat(),
                f"is after today ({today} in {zone.key}): future fires are the engine's",
            )
        candidates = _candidates(snapshot, schedule, start, end, zone, now)
        due = [c for c in candidates if c.skip is None and c.run_at <= now]
        if len(due) > MAX_BACKFILL_FIRES:
            raise Invalid.one(
                "end",
                end.isoformat(),
                f"the range has {len(due)} fires, more than {MAX_BACKFILL_FIRES}: split it",
            )
        queued, present = [], []
        for candidate in due:
            existing = _existing(conn, schedule.id, candidate.fire_at)
            if existing is not None and existing["status"] != "skipped":
                present.append(_fire(candidate, zone, _describe(existing)))
                continue
            if (
                not dry_run
                and ledger.add_pending(conn, schedule.id, job.job_key, candidate, Trigger.BACKFILL) is None
            ):
                present.append(_fire(candidate, zone, "already in the ledger"))
                continue
            queued.append(_fire(candidate, zone, "reopens a skipped fire" if existing is not None else None))
    return BackfillOut(
        schedule_id=schedule.id,
        start=start,
        end=end,
        dry_run=dry_run,
        queued=queued,
        already_present=present,
        skipped=[_fire(c, zone) for c in candidates if c.skip is not None],
        not_due=sum(1 for c in candidates if c.skip is None and c.run_at > now),
    )


def _candidates(
    snapshot: Snapshot, schedule: Schedule, start: date, end: date, zone: ZoneInfo, now: datetime
) -> list[Candidate]:
    """Candidates with business date in [start, end]; pause and start/end bounds do not apply: a person
    asked for this range."""
    low = datetime.combine(start, time(0), zone).astimezone(UTC) - MOVE_MARGIN
    high = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC) + MOVE_MARGIN
    try:
        narrow = f"split the range (at most {MAX_BACKFILL_FIRES} fires per backfill)"
        budget = Budget("this backfill", narrow)
        calendar = guarded(calendar_as_engine_sees_it(snapshot, schedule, now, low), budget)
        found: list[Candidate] = []
        due = 0
        for c in iter_candidates(schedule.timing, calendar, low, high):
            budget.check()
            if start <= c.business_date <= end:
                found.append(c)
                due += c.skip is None and c.run_at <= now
                if due > MAX_BACKFILL_FIRES:
                    too_many = f"the range has more than {MAX_BACKFILL_FIRES} fires: split it"
                    raise Invalid.one("end", end.isoformat(), too_many, "backfill")
    except (UnknownCalendar, InvalidCalendar, BeyondHorizon, ValueError) as exc:
        raise Conflict(f"cannot plan schedule {schedule.id} for {start}..{end}: {exc}") from None
    return found


def _existing(conn: sa.Connection, schedule_id: int, fire_at: datetime) -> dict[str, Any] | None:
    row = (
        conn.execute(
            sa.select(fire_ledger.c.status, fire_ledger.c.run_id, fire_ledger.c.trigger).where(
                fire_ledger.c.schedule_id == schedule_id, fire_ledger.c.fire_at == fire_at
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _describe(existing: dict[str, Any]) -> str:
    run = f", run {existing['run_id']}" if existing["run_id"] else ""
    return f"already in the ledger: {existing['status']} ({existing['trigger']}{run})"


def _fire(candidate: Candidate, zone: ZoneInfo, detail: str | None = None) -> FireOut:
    return fire_out(replace(candidate, detail=detail or candidate.detail), zone)


def fire_out(candidate: Candidate, zone: ZoneInfo) -> FireOut:
    return FireOut(
        fire_at=candidate.fire_at,
        run_at=candidate.run_at,
        local_time=candidate.run_at.astimezone(zone).isoformat(),
        business_date=candidate.business_date,
        skip=candidate.skip.value if candidate.skip else None,
        detail=candidate.detail,
    )
