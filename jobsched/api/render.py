"""Server-rendered HTML (Jinja2 templates, autoescaped): the schedule index and a schedule's calendar view.
No build step, no JavaScript. The view models come from jobsched.service; this module only words them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from jobsched import settings
from jobsched.service.calendar_view import CalendarView, Day, Mark, Month
from jobsched.service.overview import MAX_SKIPS_LISTED, ScheduleSummary

TEMPLATES = Path(__file__).parent / "templates"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KIND_LABELS = {
    "open": "trading day",
    "every_day": "no calendar: every day counts",
    "holiday": "holiday (calendar closed)",
    "weekend": "weekend",
    "early_close": "early close (half day)",
    "late_open": "late open",
    "beyond": "beyond the calendar's data: never treated as open",
}
LEGEND = (
    ("#fff", "trading day"),
    ("#fff7d6", "half day / special session"),
    ("#fde2e2", "holiday"),
    ("#f3f4f6", "weekend"),
    ("#e5e7eb", "beyond calendar data"),
)


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def index_page(schedules: list[ScheduleSummary], now: datetime) -> str:
    return (
        environment()
        .get_template("index.html")
        .render(
            title="jobsched",
            schedules=schedules,
            now=now,
            dagster_url=settings.dagster_url(),
            max_skips=MAX_SKIPS_LISTED,
        )
    )


@dataclass
class CellOut:
    """One day cell, worded."""

    in_month: bool
    number: int
    iso: str = ""
    classes: str = ""
    title: str = ""
    badge: str | None = None
    note: str | None = None
    count: str | None = None
    fires: tuple[MarkOut, ...] = ()
    skips: tuple[MarkOut, ...] = ()
    more: int = 0


@dataclass
class MarkOut:
    label: str
    title: str
    skip: str | None = None
    status: str | None = None


@dataclass
class MonthOut:
    key: str
    title: str
    weeks: list[list[CellOut]]


@dataclass
class HorizonBar:
    first: str
    after: str
    covered: int
    beyond: int
    label: str


def calendar_page(view: CalendarView, months: int) -> str:
    first = date(view.months[0].year, view.months[0].month, 1)
    return (
        environment()
        .get_template("calendar.html")
        .render(
            title=f"{view.name} — jobsched calendar",
            view=view,
            months=months,
            previous=f"{_shift(first, -months):%Y-%m}",
            following=f"{_shift(first, months):%Y-%m}",
            bar=_horizon_bar(view),
            legend=LEGEND,
            weekdays=WEEKDAYS,
            months_shown=[_month(month) for month in view.months],
        )
    )


def _horizon_bar(view: CalendarView) -> HorizonBar | None:
    """Two labelled parts over the months shown: days with calendar data, and days past its end."""
    if view.horizon is None:
        return None
    first = date(view.months[0].year, view.months[0].month, 1)
    last = _shift(date(view.months[-1].year, view.months[-1].month, 1), 1) - timedelta(days=1)
    total = (last - first).days + 1
    covered = max(0, min(total, (view.horizon - first).days + 1))
    if covered == total:
        return None  # the data outlasts the months shown: nothing beyond it to draw
    label = (
        f"of the {total} days shown, {covered} have {view.calendar} calendar data (up to {view.horizon}) "
        f"and {total - covered} are past its end"
    )
    after = view.horizon + timedelta(days=1)
    return HorizonBar(first.isoformat(), after.isoformat(), covered, total - covered, label)


def _month(month: Month) -> MonthOut:
    weeks = [[_cell(day) for day in week] for week in month.weeks]
    return MonthOut(f"{month.year:04d}-{month.month:02d}", month.title, weeks)


def _cell(day: Day) -> CellOut:
    if not day.in_month:
        return CellOut(False, day.day.day)
    classes = " ".join(["day", day.kind] + (["past"] if day.past else []) + (["today"] if day.today else []))
    badge = None
    if day.special:
        badge = ("½ day " if day.kind == "early_close" else "late open ") + day.special.rsplit(" ", 1)[-1]
    marks = len(day.fires) + day.more + len(day.skips)
    count = None
    if marks > 3:
        count = f"{len(day.fires) + day.more} fires · {len(day.skips)} skips"
    return CellOut(
        in_month=True,
        number=day.day.day,
        iso=day.day.isoformat(),
        classes=classes,
        title=distinct(KIND_LABELS.get(day.kind, day.kind), day.special, day.note, day.hours),
        badge=badge,
        note=day.note,
        count=count,
        fires=tuple(_fire(mark) for mark in day.fires),
        skips=tuple(_skip(mark) for mark in day.skips),
        more=day.more,
    )


def _fire(mark: Mark) -> MarkOut:
    run = f"run {mark.run_id[:8]}" if mark.run_id else None
    title = distinct(
        f"fires {mark.local} ({mark.run_at:%Y-%m-%d %H:%M} UTC)",
        f"business date {mark.business_date}",
        mark.status,
        mark.detail,
        run,
    )
    label = mark.local.split(" ")[0] + (f" {mark.status}" if mark.status else "")
    return MarkOut(label, title, None, mark.status)


def _skip(mark: Mark) -> MarkOut:
    title = distinct(f"skipped ({mark.skip})", mark.detail, f"would have run {mark.local}")
    return MarkOut(f"{mark.local.split(' ')[0]} {mark.skip or ''}", title, mark.skip)


def distinct(*parts: str | None) -> str:
    """Join the parts with '; ', leaving out empty ones and any already said by an earlier part."""
    kept: list[str] = []
    for part in parts:
        if not part:
            continue
        lowered = part.lower()
        if any(lowered in earlier.lower() for earlier in kept):
            continue
        kept = [earlier for earlier in kept if earlier.lower() not in lowered] + [part]
    return "; ".join(kept)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
