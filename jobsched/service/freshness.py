"""Deadlines of job definitions, evaluated against the ledger: met or missed (read by /health, /metrics and
the Dagster freshness sensor, so all three say the same).

For each enabled job definition with a `deadline` and each of its enabled schedules, the latest business date
(of that schedule's calendar, in its zone) whose deadline has passed is *met* when the ledger has a
`success` fire of the job for that business date, else *missed*. Dates before the schedule existed (its
`start_at`, else `created_at`) are never due. A holiday has no deadline, so it never alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from jobsched.domain.calendars import resolve_calendar
from jobsched.domain.freshness import Deadline, deadline_on, latest_passed, parse_deadline
from jobsched.store import repository
from jobsched.store.rows import utc
from jobsched.store.schema import fire_ledger, job_definitions, schedules

MET, MISSED, NOT_DUE, ERROR = "met", "missed", "not_due", "error"


@dataclass(frozen=True)
class DeadlineStatus:
    job_key: str
    adapter: str
    business_date: date
    deadline: datetime | None
    state: str  # met / missed / not_due (a holiday, or before the deadline) / error
    detail: str
    schedule: str = ""

    @property
    def passed(self) -> bool:
        return self.state != MISSED


def evaluate(engine: sa.Engine, now: datetime) -> list[DeadlineStatus]:
    """The latest passed deadline of every (job definition with a deadline, schedule) pair, met or missed."""
    with engine.connect() as conn:
        jobs, plans = _load(conn)
        customs, _ = repository.custom_calendars(conn)
        found: dict[tuple[str, date], DeadlineStatus] = {}
        for job_key, adapter, text in jobs:
            for name, zone, calendar_name, since in plans.get(job_key, []):
                status = _latest(conn, job_key, adapter, text, name, zone, calendar_name, since, customs, now)
                if status is not None:
                    found.setdefault((job_key, status.business_date), status)
    return sorted(found.values(), key=lambda s: (s.job_key, s.business_date))


def evaluate_job(engine: sa.Engine, job_key: str, day: date, now: datetime) -> DeadlineStatus:
    """The deadline of one (job definition, business date): the earliest over its schedules' calendars."""
    with engine.connect() as conn:
        jobs, plans = _load(conn, job_key)
        customs, _ = repository.custom_calendars(conn)
        if not jobs:
            return DeadlineStatus(job_key, "", day, None, NOT_DUE, f"job {job_key!r} has no deadline")
        _, adapter, text = jobs[0]
        best: DeadlineStatus | None = None
        for name, zone, calendar_name, _since in plans.get(job_key, []):
            try:
                deadline = parse_deadline(text)
                due = deadline_on(
                    deadline, day, resolve_calendar(calendar_name, customs, now), ZoneInfo(zone)
                )
            except (ValueError, LookupError) as exc:
                return DeadlineStatus(job_key, adapter, day, None, ERROR, f"schedule {name!r}: {exc}", name)
            if due is not None and (best is None or (best.deadline and due < best.deadline)):
                best = _judge(conn, job_key, adapter, day, due, deadline, now, name)
    if best is None:
        return DeadlineStatus(
            job_key, adapter, day, None, NOT_DUE, f"{day} is not a business day of {job_key}"
        )
    return best


def _load(
    conn: sa.Connection, job_key: str | None = None
) -> tuple[list[tuple[str, str, str]], dict[str, list[tuple[str, str, str | None, datetime | None]]]]:
    jd, sc = job_definitions.c, schedules.c
    query = sa.select(jd.job_key, jd.adapter, jd.deadline).where(jd.enabled, jd.deadline.is_not(None))
    if job_key is not None:
        query = query.where(jd.job_key == job_key)
    jobs = [(k, a, d) for k, a, d in conn.execute(query.order_by(jd.job_key))]
    plans: dict[str, list[tuple[str, str, str | None, datetime | None]]] = {}
    if jobs:
        rows = conn.execute(
            sa.select(sc.job_key, sc.name, sc.timezone, sc.calendar, sc.start_at, sc.created_at)
            .where(sc.enabled, sc.job_key.in_([j[0] for j in jobs]))
            .order_by(sc.id)
        )
        for key, name, zone, calendar_name, start_at, created_at in rows:
            plans.setdefault(key, []).append((name, zone, calendar_name, utc(start_at) or utc(created_at)))
    return jobs, plans


def _latest(  # noqa: PLR0913 - one schedule's view of one job
    conn: sa.Connection,
    job_key: str,
    adapter: str,
    text: str,
    name: str,
    zone: str,
    calendar_name: str | None,
    since: datetime | None,
    customs: dict,
    now: datetime,
) -> DeadlineStatus | None:
    try:
        deadline = parse_deadline(text)
        calendar = resolve_calendar(calendar_name, customs, now)
        passed = latest_passed(deadline, calendar, ZoneInfo(zone), now, since)
    except (ValueError, LookupError) as exc:
        return DeadlineStatus(job_key, adapter, now.date(), None, ERROR, f"schedule {name!r}: {exc}", name)
    if passed is None:
        return None
    day, due = passed
    return _judge(conn, job_key, adapter, day, due, deadline, now, name)


def _judge(
    conn: sa.Connection,
    job_key: str,
    adapter: str,
    day: date,
    due: datetime,
    deadline: Deadline,
    now: datetime,
    schedule: str,
) -> DeadlineStatus:
    fl = fire_ledger.c
    loaded = conn.execute(
        sa.select(sa.func.min(fl.updated_at)).where(
            fl.job_key == job_key, fl.business_date == day, fl.status == "success"
        )
    ).scalar()
    what = f"{job_key} for {day} (deadline {deadline.text}: {due.isoformat()})"
    if loaded is not None:
        late = utc(loaded) > due
        return DeadlineStatus(
            job_key,
            adapter,
            day,
            due,
            MET,
            f"{what}: loaded" + (" (after the deadline)" if late else ""),
            schedule,
        )
    if due > now:
        return DeadlineStatus(job_key, adapter, day, due, NOT_DUE, f"{what}: not due yet", schedule)
    return DeadlineStatus(job_key, adapter, day, due, MISSED, f"{what}: missed, no successful load", schedule)
