"""What the calendar page shows: for each day of the coming months, the fires (local times), the skips with
their reasons, and what the calendar says about the day (session, early close, holiday, beyond its data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from jobsched.domain.calendars import (
    BeyondHorizon,
    BusinessCalendar,
    CustomCalendar,
    ExchangeCalendar,
    InvalidCalendar,
    NotASession,
    UnknownCalendar,
    month_days,
)
from jobsched.domain.model import Candidate
from jobsched.domain.validation import RowInvalid
from jobsched.engine import load_snapshot, validated
from jobsched.service.errors import Invalid
from jobsched.service.planning import plan
from jobsched.service.schedules import find_row
from jobsched.store import ledger

MAX_MONTHS = 12
MAX_CANDIDATES = 5000
MAX_SHOWN_PER_DAY = 6


@dataclass
class Mark:
    """A fire or a skip on a day, as a person reads it."""

    local: str  # "16:30 EST"
    run_at: datetime
    business_date: date
    skip: str | None = None
    detail: str | None = None
    status: str | None = None  # for past fires: the ledger status
    run_id: str | None = None  # for past fires: the Dagster run


@dataclass
class Day:
    day: date
    in_month: bool
    kind: str  # open | early_close | late_open | holiday | weekend | beyond | every_day
    hours: str | None = None
    special: str | None = None  # "early close 13:00" / "late open 10:00"
    note: str | None = None  # holiday name, override reason
    past: bool = False
    today: bool = False
    fires: list[Mark] = field(default_factory=list)
    skips: list[Mark] = field(default_factory=list)
    more: int = 0  # fires not listed (more than MAX_SHOWN_PER_DAY)


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[Day]]

    @property
    def title(self) -> str:
        return date(self.year, self.month, 1).strftime("%B %Y")


@dataclass
class CalendarView:
    schedule_id: int
    name: str
    timing: str
    timezone: str
    calendar: str | None
    paused: bool
    pause_reason: str | None
    enabled: bool
    generated_at: datetime
    months: list[Month]
    horizon: date | None = None  # last day of the calendar's data
    problem: str | None = None  # why nothing could be planned
    truncated: bool = False
    fire_count: int = 0
    skip_count: int = 0


def calendar_view(
    engine: sa.Engine, ref: int | str, now: datetime, months: int = 3, start: date | None = None
) -> CalendarView:
    if not 1 <= months <= MAX_MONTHS:
        raise Invalid.one("months", months, f"must be between 1 and {MAX_MONTHS}", "calendar view")
    with engine.connect() as conn:
        row = find_row(conn, ref)
        snapshot = load_snapshot(conn)
        zone = _zone(row["timezone"])
        first = (start or now.astimezone(zone).date()).replace(day=1)
        if not date(1970, 1, 1) <= first <= date(2199, 1, 1):
            raise Invalid.one(
                "start", first.isoformat(), "must be between 1970-01 and 2199-01", "calendar view"
            )
        last = _add_months(first, months) - timedelta(days=1)
        lo = datetime.combine(first, time(0), zone).astimezone(UTC)
        hi = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
        past = ledger_in_range(conn, row["id"], lo, min(hi, now))
        past_truncated = len(past) >= MAX_CANDIDATES
    view = CalendarView(
        schedule_id=row["id"],
        name=row["name"],
        timing=_timing_text(row),
        timezone=row["timezone"],
        calendar=row["calendar"],
        paused=bool(row["paused"]),
        pause_reason=row["pause_reason"],
        enabled=bool(row["enabled"]),
        generated_at=now,
        months=[],
    )
    calendar: BusinessCalendar | None = None
    candidates: list[Candidate] = []
    try:
        schedule, _ = validated(snapshot, row)
        calendar, candidates = plan(
            snapshot,
            schedule,
            now,
            max(lo, now),
            hi,
            max_fires=MAX_CANDIDATES + 1,
            max_skips=MAX_CANDIDATES + 1,
            what=f"a calendar view of {months} month(s)",
            narrow="show fewer months",
        )
        candidates = candidates[: MAX_CANDIDATES + 1]
    except (RowInvalid, UnknownCalendar, InvalidCalendar, BeyondHorizon, ValueError, TypeError) as exc:
        view.problem = str(exc)
    view.truncated = len(candidates) > MAX_CANDIDATES or past_truncated
    candidates = candidates[:MAX_CANDIDATES]
    if calendar is not None and calendar.last_day != date.max:
        view.horizon = calendar.last_day
    today = now.astimezone(zone).date()
    days = {d: _day(d, calendar, today) for d in _span(first, last)}
    for candidate in candidates:
        _place(days, candidate, zone, view)
    for entry in past:
        _place_past(days, entry, zone, view)
    view.months = [_month(days, m) for m in _month_starts(first, months)]
    return view


def ledger_in_range(
    conn: sa.Connection, schedule_id: int, lo: datetime, hi: datetime
) -> list[ledger.LedgerEntry]:
    if hi <= lo:
        return []
    # Placed by due_at, selected by fire_at (indexed); a holiday rule moves a fire by days, not weeks.
    margin = timedelta(days=10)
    found = ledger.between(conn, schedule_id, lo - margin, hi + margin, limit=MAX_CANDIDATES)
    return [entry for entry in found if lo <= entry.due_at <= hi]


def _place(days: dict[date, Day], candidate: Candidate, zone: ZoneInfo, view: CalendarView) -> None:
    local = candidate.run_at.astimezone(zone)
    cell = days.get(local.date())
    if cell is None:
        return
    mark = Mark(
        local.strftime("%H:%M %Z"),
        candidate.run_at,
        candidate.business_date,
        candidate.skip.value if candidate.skip else None,
        candidate.detail,
    )
    if candidate.skip is not None:
        view.skip_count += 1
        cell.skips.append(mark)
        return
    view.fire_count += 1
    if len(cell.fires) >= MAX_SHOWN_PER_DAY:
        cell.more += 1
    else:
        cell.fires.append(mark)


def _place_past(days: dict[date, Day], entry: ledger.LedgerEntry, zone: ZoneInfo, view: CalendarView) -> None:
    """History is shown whole: every ledger entry of the day, however many (the cell scrolls)."""
    local = entry.due_at.astimezone(zone)
    cell = days.get(local.date())
    if cell is None:
        return
    mark = Mark(
        local.strftime("%H:%M %Z"),
        entry.due_at,
        entry.business_date or local.date(),
        entry.reason,
        entry.detail,
        entry.status,
        entry.run_id,
    )
    if entry.reason:
        view.skip_count += 1
        cell.skips.append(mark)
    else:
        view.fire_count += 1
        cell.fires.append(mark)


def _day(day: date, calendar: BusinessCalendar | None, today: date) -> Day:
    cell = Day(day=day, in_month=True, kind="every_day", past=day < today, today=day == today)
    if calendar is None:
        return cell
    if not calendar.is_known(day):
        cell.kind = "beyond"
        cell.note = f"no {calendar.name} data (ends {calendar.last_day})"
        return cell
    notes = day_notes(calendar, day.year)
    try:
        if not calendar.is_session(day):
            cell.kind = "holiday" if calendar.is_weekmask_day(day) else "weekend"
            cell.note = notes.get(day) or ("holiday" if cell.kind == "holiday" else None)
            return cell
        opened, closed = calendar.session_bounds(day)
        regular_open, regular_close = calendar.regular_bounds(day)
    except (BeyondHorizon, NotASession):
        cell.kind = "beyond"
        return cell
    cell.kind = "open"
    cell.hours = f"{opened.astimezone(calendar.tz):%H:%M}–{closed.astimezone(calendar.tz):%H:%M %Z}"
    if closed < regular_close:
        cell.kind, cell.special = "early_close", f"early close {closed.astimezone(calendar.tz):%H:%M}"
    elif opened > regular_open:
        cell.kind, cell.special = "late_open", f"late open {opened.astimezone(calendar.tz):%H:%M}"
    cell.note = notes.get(day)
    return cell


def day_notes(calendar: BusinessCalendar, year: int) -> dict[date, str]:
    """Names of holidays and special sessions: exchange-calendars' names, a custom calendar's reasons."""
    notes: dict[date, str] = {}
    code = calendar.name if isinstance(calendar, ExchangeCalendar) else None
    if isinstance(calendar, CustomCalendar) and calendar.base is not None:
        code = calendar.base.name
    if code is not None:
        notes.update(_exchange_notes(code, year))
    if isinstance(calendar, CustomCalendar):
        notes.update({o.day: o.reason for o in calendar.spec.overrides if o.day.year == year})
    return notes


@lru_cache(maxsize=64)
def _exchange_notes(code: str, year: int) -> dict[date, str]:
    import exchange_calendars as xcals

    notes: dict[date, str] = {}
    try:
        source = xcals.get_calendar(code, start=f"{year}-01-01", end=f"{year}-12-31")
        start, end = f"{year}-01-01", f"{year}-12-31"
        if source.regular_holidays is not None:
            for label, name in source.regular_holidays.holidays(start, end, return_name=True).items():
                notes[label.date()] = str(name)
        for _at, holidays in source.special_closes:
            for label, name in holidays.holidays(start, end, return_name=True).items():
                notes[label.date()] = str(name)
        for _at, holidays in source.special_opens:
            for label, name in holidays.holidays(start, end, return_name=True).items():
                notes[label.date()] = str(name)
    except Exception:  # noqa: BLE001 - names are a nicety; the calendar itself decides what runs
        return notes
    return notes


def _timing_text(row: dict) -> str:
    kind = row["kind"]
    if kind == "cron":
        return f"cron {row['cron']} ({row['timezone']})"
    if kind == "session":
        offset = row["offset_minutes"] if isinstance(row["offset_minutes"], int) else 0
        return f"session {row['session_event']}{offset:+d}m on {row['calendar']}"
    return (
        f"business day {row['business_day']} at {row['local_time']} ({row['timezone']}) on {row['calendar']}"
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, TypeError, OSError):
        return ZoneInfo("UTC")


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_starts(first: date, months: int) -> list[date]:
    return [_add_months(first, i) for i in range(months)]


def _span(first: date, last: date) -> list[date]:
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _month(days: dict[date, Day], first: date) -> Month:
    in_month = month_days(first.year, first.month)
    start = in_month[0] - timedelta(days=in_month[0].weekday())
    end = in_month[-1] + timedelta(days=6 - in_month[-1].weekday())
    weeks: list[list[Day]] = []
    current = start
    while current <= end:
        week = []
        for _ in range(7):
            cell = days[current]
            week.append(cell if cell.day.month == first.month else Day(current, False, cell.kind))
            current += timedelta(days=1)
        weeks.append(week)
    return Month(first.year, first.month, weeks)
