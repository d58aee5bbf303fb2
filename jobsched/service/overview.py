"""What the index page shows per schedule: state, next fire (local and UTC), the last outcome with its
Dagster run, the skips of the last 24 hours with their reasons, and every problem that needs a person."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from jobsched.domain import planner
from jobsched.domain.calendars import BeyondHorizon, InvalidCalendar, UnknownCalendar
from jobsched.domain.validation import RowInvalid
from jobsched.engine import Snapshot, calendar_for, load_snapshot, validated
from jobsched.service.schedules import to_out
from jobsched.store import ledger

SKIP_WINDOW = timedelta(hours=24)
MAX_SKIPS_LISTED = 200


@dataclass
class ScheduleSummary:
    id: int
    name: str | None  # None only in a row hand-written SQL made invalid (see problems)
    job_key: str | None
    timing: str
    timezone: str | None
    calendar: str | None
    state: str  # active | paused | disabled | invalid
    next_local: str | None = None  # "2026-11-24 16:30 EST"
    next_utc: datetime | None = None
    last: ledger.LedgerEntry | None = None
    skips: list[ledger.LedgerEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def skip_reasons(self) -> str:
        """'holiday ×1, paused ×2'"""
        counts = Counter(entry.reason or "skipped" for entry in self.skips)
        return ", ".join(f"{reason} ×{n}" for reason, n in sorted(counts.items()))


def overview(engine: sa.Engine, now: datetime) -> list[ScheduleSummary]:
    with engine.connect() as conn:
        snapshot = load_snapshot(conn)
        summaries = []
        for row in snapshot.schedule_rows:
            out = to_out(snapshot, row)
            summary = ScheduleSummary(
                id=out.id,
                name=out.name,
                job_key=out.job_key,
                timing=out.cron if out.kind == "cron" and out.cron else _timing(out.kind, row),
                timezone=out.timezone,
                calendar=out.calendar,
                state=_state(bool(out.enabled), bool(out.paused), bool(out.problem or out.quarantined)),
            )
            summary.problems += [p for p in (out.problem, out.quarantined) if p]
            summary.last = ledger.latest_outcome(conn, out.id)
            summary.skips = ledger.between(
                conn, out.id, now - SKIP_WINDOW, now, skipped=True, limit=MAX_SKIPS_LISTED
            )
            if summary.last is not None and summary.last.status == "failure":
                summary.problems.append(f"last run failed (fire {summary.last.fire_at:%Y-%m-%d %H:%M} UTC)")
            if summary.state in ("active", "paused") and not out.problem:
                _next_fire(snapshot, row, now, summary)
            summaries.append(summary)
    return summaries


def _next_fire(snapshot: Snapshot, row: Mapping[str, Any], now: datetime, summary: ScheduleSummary) -> None:
    if summary.state == "paused":
        return  # every fire is a skip until resumed
    try:
        schedule, _ = validated(snapshot, row)
        calendar = calendar_for(snapshot, schedule, now)
        fires = [c for c in planner.preview(schedule, calendar, now, 1, 1000) if c.skip is None]
    except (RowInvalid, UnknownCalendar, InvalidCalendar, BeyondHorizon, ValueError, OverflowError) as exc:
        summary.problems.append(f"cannot plan the next fire: {exc}")
        return
    if not fires:
        summary.problems.append("no fire planned (end_at passed, or no open day in the calendar's data)")
        return
    summary.next_utc = fires[0].run_at
    local = fires[0].run_at.astimezone(ZoneInfo(schedule.timing.timezone))
    summary.next_local = local.strftime("%Y-%m-%d %H:%M %Z")


def _state(enabled: bool, paused: bool, invalid: bool) -> str:
    if invalid:
        return "invalid"
    if not enabled:
        return "disabled"
    return "paused" if paused else "active"


def _timing(kind: str | None, row: dict) -> str:
    if kind == "session":
        offset = int(row["offset_minutes"] or 0)
        return f"session {row['session_event']}{offset:+d}m"
    if kind == "business_day":
        return f"business day {row['business_day']} at {row['local_time']}"
    return str(kind)  # "None" for a row without a kind, as the page always showed
