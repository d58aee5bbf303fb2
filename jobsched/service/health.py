"""Is jobsched working? Database reachable, engine ticking, no quarantined rows, calendars with data ahead."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from jobsched import settings
from jobsched.domain.calendars import horizon_report
from jobsched.domain.validation import clip
from jobsched.service.models import CheckOut, HealthOut, HorizonOut, QuarantinedOut
from jobsched.service.redact import redact_text
from jobsched.store import repository, state
from jobsched.store.schema import schedule_state, schedules
from jobsched.utc import utc


def max_tick_age() -> float:
    return settings.current().health_max_tick_age


def min_horizon_days() -> int:
    return settings.current().health_min_horizon_days


def health(
    engine: sa.Engine, now: datetime, max_age: float | None = None, min_days: int | None = None
) -> HealthOut:
    max_age = max_tick_age() if max_age is None else max_age
    min_days = min_horizon_days() if min_days is None else min_days
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            tick = state.last_tick(conn)
            quarantined = _quarantined(conn)
            customs, _ = repository.custom_calendars(conn)
            in_use = conn.execute(
                sa.select(schedules.c.calendar).where(schedules.c.enabled, schedules.c.calendar.is_not(None))
            ).scalars()
            names = sorted(set(in_use))
    except Exception as exc:  # noqa: BLE001 - any failure here means the database is not usable
        detail = f"database unreachable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return HealthOut(
            ok=False,
            checked_at=now,
            database=CheckOut(ok=False, detail=detail),
            engine=CheckOut(ok=False, detail="unknown: database unreachable"),
            problems=[detail],
        )
    engine_check, last_tick_at = _engine_check(tick, now, max_age)
    calendars = [
        HorizonOut(calendar=s.name, ok=s.ok, last_day=s.last_day, days_left=s.days_left, detail=s.detail)
        for s in horizon_report(names, customs, now, min_days)
    ]
    problems = [] if engine_check.ok else [engine_check.detail or "engine not ticking"]
    problems += [f"schedule {q.schedule_id} ({q.name}) quarantined: {q.error}" for q in quarantined]
    problems += [f"calendar {c.calendar}: {c.detail}" for c in calendars if not c.ok]
    deadlines = _deadlines(engine, now)
    problems += [f"deadline: {line}" for line in deadlines]
    return HealthOut(
        ok=not problems,
        checked_at=now,
        database=CheckOut(ok=True),
        engine=engine_check,
        last_tick_at=last_tick_at,
        quarantined=quarantined,
        calendars=calendars,
        problems=problems,
        missed_deadlines=deadlines,
    )


def _deadlines(engine: sa.Engine, now: datetime) -> list[str]:
    """A line per job definition whose latest passed deadline has no successful load (holidays: none)."""
    from jobsched.service.freshness import ERROR, MISSED, evaluate

    try:
        return [s.detail for s in evaluate(engine, now) if s.state in (MISSED, ERROR)]
    except Exception as exc:  # noqa: BLE001 - a deadline that cannot be evaluated is itself a problem
        return [f"cannot evaluate deadlines: {type(exc).__name__}: {exc}"]


def _engine_check(
    tick: tuple[datetime, dict] | None, now: datetime, max_age: float
) -> tuple[CheckOut, datetime | None]:
    if tick is None:
        detail = "no engine tick recorded yet: is the dagster-daemon running with the jobsched sensor on?"
        return CheckOut(ok=False, detail=detail), None
    at, summary = tick
    age = (now - at).total_seconds()
    if age > max_age:
        detail = (
            f"last engine tick {age:.0f}s ago (at {at.isoformat()}), more than {max_age:.0f}s: "
            "is the dagster-daemon up?"
        )
        return CheckOut(ok=False, detail=detail), at
    errors = summary.get("errors") or {}
    detail = f"last tick {age:.0f}s ago; {summary.get('requested', 0)} requested, {len(errors)} row error(s)"
    return CheckOut(ok=True, detail=detail), at


def _quarantined(conn: sa.Connection) -> list[QuarantinedOut]:
    rows = conn.execute(
        sa.select(
            schedule_state.c.schedule_id, schedules.c.name, schedule_state.c.error, schedule_state.c.error_at
        )
        .join(schedules, schedules.c.id == schedule_state.c.schedule_id)
        .where(schedule_state.c.error.is_not(None))
        .order_by(schedule_state.c.schedule_id)
    ).mappings()
    return [
        QuarantinedOut(
            schedule_id=r["schedule_id"],
            name=r["name"],
            error=redact_text(clip(r["error"])),
            since=utc(r["error_at"]) if isinstance(r["error_at"], datetime) else None,
        )
        for r in rows
    ]
