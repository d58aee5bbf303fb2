"""What the Prometheus endpoint reports, read from the database at scrape time (a handful of cheap queries).

Counts come from the ledger's recent window, not from process-local counters: any API replica answers the
same, and a restart or a retention purge never makes a counter jump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from jobsched.domain.calendars import horizon_report
from jobsched.domain.model import FireStatus
from jobsched.store import repository, state
from jobsched.store.schema import fire_ledger, job_definitions, schedule_state, schedules
from jobsched.utc import utc

WINDOW = timedelta(hours=24)
WAITING = ("pending", "requested")
STATUSES = tuple(status.value for status in FireStatus)
MAX_LAG_ROWS = 2000  # the start lag looks at the most recent claimed fires only
EXACT_COUNT_BELOW = 100_000  # ledger size: count(*) below this, the planner's estimate above


@dataclass
class MetricsSnapshot:
    database_up: bool
    fires: dict[str, int] = field(default_factory=dict)  # status -> fires due in the window
    skips: dict[str, int] = field(default_factory=dict)  # reason -> skipped fires due in the window
    oldest_waiting_lag: float = 0.0  # seconds the oldest due, not yet started fire has waited
    max_start_lag: float = 0.0  # worst due -> claimed delay among fires claimed in the window
    quarantined: int = 0
    calendar_days_left: dict[str, int] = field(default_factory=dict)
    tick_age: float | None = None
    tick_duration: float | None = None
    ledger_rows: int = 0
    deadline_missed: dict[str, int] = field(default_factory=dict)  # job key -> 1 missed / 0 met or not due


def deadline_gauges(engine: sa.Engine, now: datetime) -> dict[str, int]:
    from jobsched.service.freshness import evaluate

    with engine.connect() as conn:  # every enabled job with a deadline is exported, 0 until one is missed
        jd = job_definitions.c
        keys = conn.execute(sa.select(jd.job_key).where(jd.enabled, jd.deadline.is_not(None))).scalars()
        missed: dict[str, int] = dict.fromkeys(keys, 0)
    for status in evaluate(engine, now):
        missed[status.job_key] = max(missed.get(status.job_key, 0), 0 if status.passed else 1)
    return missed


def snapshot(engine: sa.Engine, now: datetime) -> MetricsSnapshot:
    try:
        with engine.connect() as conn:
            data = _read(conn, now)
        data.deadline_missed = deadline_gauges(engine, now)
        return data
    except sa.exc.SQLAlchemyError:
        return MetricsSnapshot(database_up=False)


def _read(conn: sa.Connection, now: datetime) -> MetricsSnapshot:
    since = now - WINDOW
    ledger = fire_ledger.c
    # status IN (every status) lets Postgres range-scan the (status, due_at) index instead of the table
    recent = sa.and_(ledger.status.in_(STATUSES), ledger.due_at >= since, ledger.due_at <= now)
    fires = {
        status: count
        for status, count in conn.execute(
            sa.select(ledger.status, sa.func.count()).where(recent).group_by(ledger.status)
        )
    }
    skips = {
        reason: count
        for reason, count in conn.execute(
            sa.select(ledger.reason, sa.func.count())
            .where(recent, ledger.status == "skipped")
            .group_by(ledger.reason)
        )
    }
    oldest = conn.execute(
        sa.select(sa.func.min(ledger.due_at)).where(ledger.status.in_(WAITING), ledger.due_at <= now)
    ).scalar()
    claimed = conn.execute(
        sa.select(ledger.due_at, ledger.claimed_at)
        .where(recent, ledger.claimed_at.is_not(None))
        .order_by(ledger.due_at.desc())
        .limit(MAX_LAG_ROWS)
    ).all()
    quarantined = conn.execute(
        sa.select(sa.func.count())
        .select_from(schedule_state.join(schedules, schedules.c.id == schedule_state.c.schedule_id))
        .where(schedule_state.c.error.is_not(None))
    ).scalar_one()
    tick = state.last_tick(conn)
    return MetricsSnapshot(
        database_up=True,
        fires=fires,
        skips=skips,
        oldest_waiting_lag=_seconds(now, oldest),
        max_start_lag=max((_seconds(claimed_at, due_at) for due_at, claimed_at in claimed), default=0.0),
        quarantined=int(quarantined),
        calendar_days_left=_days_left(conn, now),
        tick_age=(now - tick[0]).total_seconds() if tick else None,
        tick_duration=_float(tick[1].get("duration_seconds")) if tick else None,
        ledger_rows=ledger_rows(conn),
    )


def _days_left(conn: sa.Connection, now: datetime) -> dict[str, int]:
    customs, _ = repository.custom_calendars(conn)
    names = conn.execute(
        sa.select(schedules.c.calendar)
        .where(schedules.c.enabled, schedules.c.calendar.is_not(None))
        .distinct()
    ).scalars()
    return {
        status.name: status.days_left
        for status in horizon_report(sorted(names), customs, now)
        if status.days_left is not None
    }


def ledger_rows(conn: sa.Connection) -> int:
    """count(*), except on a large Postgres ledger: the planner's estimate (no full scan at every scrape)."""
    if conn.dialect.name == "postgresql":
        estimate = conn.execute(
            sa.text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass('fire_ledger')")
        ).scalar()
        if estimate is not None and estimate >= EXACT_COUNT_BELOW:
            return int(estimate)
    return int(conn.execute(sa.select(sa.func.count()).select_from(fire_ledger)).scalar_one())


def _seconds(later: datetime | None, earlier: datetime | None) -> float:
    if later is None or earlier is None:
        return 0.0
    return max(0.0, (utc(later) - utc(earlier)).total_seconds())


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
