"""Server-rendered HTML: the calendar view of a schedule and a small index. No build step, no JavaScript."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from html import escape
from pathlib import Path
from string import Template

from jobsched.service.calendar_view import CalendarView, Day, Mark, Month
from jobsched.service.models import ScheduleOut

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


@cache
def _page() -> Template:
    return Template((TEMPLATES / "page.html").read_text(encoding="utf-8"))


def page(title: str, body: str) -> str:
    return _page().substitute(title=escape(title), body=body)


def calendar_page(view: CalendarView, months: int) -> str:
    first = date(view.months[0].year, view.months[0].month, 1)
    previous, following = _shift(first, -months), _shift(first, months)
    nav = (
        f'<p class="nav"><a href="?start={previous:%Y-%m}&months={months}">&larr; earlier</a> · '
        f'<a href="?months={months}">today</a> · '
        f'<a href="?start={following:%Y-%m}&months={months}">later &rarr;</a> · '
        f'<a href="/schedules/{view.schedule_id}/fires">ledger (JSON)</a> · <a href="/">all schedules</a></p>'
    )
    body = [
        f'<h1 id="schedule-name">{escape(view.name)}</h1>',
        f'<div class="meta">#{view.schedule_id} · {escape(view.timing)} · times in {escape(view.timezone)}'
        f" · calendar {escape(view.calendar or 'none (every day)')} · {view.fire_count} fires,"
        f" {view.skip_count} skips shown · generated {view.generated_at:%Y-%m-%d %H:%M} UTC</div>",
        nav,
        *_banners(view),
        _legend(),
        '<div class="months">',
        *(_month(month) for month in view.months),
        "</div>",
    ]
    return page(f"{view.name} — jobsched calendar", "\n".join(body))


def _banners(view: CalendarView) -> list[str]:
    banners = []
    if view.problem:
        banners.append(
            f'<div class="banner bad" id="problem">Cannot plan this schedule: {escape(view.problem)}</div>'
        )
    if not view.enabled:
        banners.append(
            '<div class="banner warn" id="disabled">Disabled (enabled=false): nothing fires.</div>'
        )
    elif view.paused:
        reason = escape(view.pause_reason or "no reason given")
        banners.append(f'<div class="banner warn" id="paused">Paused: {reason}. Fires are skipped.</div>')
    if view.horizon is not None:
        banners.append(
            f'<div class="banner info" id="horizon">Data horizon: the {escape(view.calendar or "")} '
            "calendar data "
            f"ends <strong>{view.horizon.isoformat()}</strong>; later days are never treated as open "
            f"(calendar_horizon skips) until the data is extended.{_horizon_svg(view)}</div>"
        )
    if view.truncated:
        banners.append('<div class="banner warn">More fires than can be shown; the list is cut short.</div>')
    return banners


def _horizon_svg(view: CalendarView) -> str:
    """A bar over the shown months: the part covered by calendar data, and the part beyond it."""
    first = date(view.months[0].year, view.months[0].month, 1)
    last = _shift(date(view.months[-1].year, view.months[-1].month, 1), 1) - timedelta(days=1)
    assert view.horizon is not None
    total = (last - first).days + 1
    covered = max(0, min(total, (view.horizon - first).days + 1))
    width = 600
    known = round(width * covered / total)
    return (
        f'<svg class="horizon" width="{width}" height="14" role="img" aria-label="data horizon">'
        f'<rect x="0" y="2" width="{known}" height="10" fill="#93c5fd"/>'
        f'<rect x="{known}" y="2" width="{width - known}" height="10" fill="#e5e7eb"/>'
        f"<title>calendar data covers {covered} of the {total} days shown (ends {view.horizon})</title></svg>"
    )


def _legend() -> str:
    items = [
        ("open", "#fff", "trading day"),
        ("early_close", "#fff7d6", "half day / special session"),
        ("holiday", "#fde2e2", "holiday"),
        ("weekend", "#f3f4f6", "weekend"),
        ("beyond", "#e5e7eb", "beyond calendar data"),
    ]
    spans = "".join(f'<span><i style="background:{color}"></i>{label}</span>' for _, color, label in items)
    return (
        f'<p class="legend">{spans}<span class="fire">16:30</span>&nbsp;fires &nbsp; '
        '<span class="skip" style="display:inline">16:30</span>&nbsp;skipped (hover for the reason)</p>'
    )


def _month(month: Month) -> str:
    head = "".join(f"<th>{day}</th>" for day in WEEKDAYS)
    rows = "".join("<tr>" + "".join(_cell(day) for day in week) + "</tr>" for week in month.weeks)
    return (
        f'<table class="month" data-month="{month.year:04d}-{month.month:02d}">'
        f"<caption>{escape(month.title)}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _cell(day: Day) -> str:
    if not day.in_month:
        return f'<td class="day outside">{day.day.day}</td>'
    classes = " ".join(["day", day.kind] + (["past"] if day.past else []) + (["today"] if day.today else []))
    label = KIND_LABELS.get(day.kind, day.kind)
    title = "; ".join(part for part in (label, day.special, day.note, day.hours) if part)
    parts = [f'<div class="date">{day.day.day}</div>']
    if day.special:
        badge = "½ day" if day.kind == "early_close" else "late open"
        parts.append(f'<span class="badge half">{badge} {escape(day.special.rsplit(" ", 1)[-1])}</span>')
    if day.note:
        parts.append(f'<div class="note">{escape(day.note)}</div>')
    parts += [_fire(mark) for mark in day.fires]
    if day.more:
        parts.append(f'<span class="fire more">+{day.more} more</span>')
    parts += [_skip(mark) for mark in day.skips]
    cell = "".join(parts)
    return f'<td class="{classes}" data-day="{day.day.isoformat()}" title="{escape(title)}">{cell}</td>'


def _fire(mark: Mark) -> str:
    state = f"; {mark.status}" if mark.status else ""
    title = (
        f"fires {mark.local} ({mark.run_at:%Y-%m-%d %H:%M} UTC); business date {mark.business_date}{state}"
    )
    if mark.detail:
        title += f"; {mark.detail}"
    done = " done" if mark.status else ""
    label = mark.local.split(" ")[0] + (f" {mark.status}" if mark.status else "")
    return f'<span class="fire{done}" title="{escape(title)}">{escape(label)}</span>'


def _skip(mark: Mark) -> str:
    title = f"skipped ({mark.skip}): {mark.detail or mark.skip}; would have run {mark.local}"
    return (
        f'<span class="skip" data-reason="{escape(mark.skip or "")}" title="{escape(title)}">'
        f"{escape(mark.local.split(' ')[0])} {escape(mark.skip or '')}</span>"
    )


def index_page(schedules: list[ScheduleOut]) -> str:
    rows = []
    for item in schedules:
        state = "disabled" if not item.enabled else ("paused" if item.paused else "active")
        if item.problem or item.quarantined:
            state = "invalid"
        timing = item.cron if item.kind == "cron" else item.kind
        name, job, zone = (escape(str(v or "")) for v in (item.name, item.job_key, item.timezone))
        rows.append(
            f"<tr><td>{item.id}</td><td><a href='/schedules/{item.id}/calendar'>{name}</a></td>"
            f"<td>{job}</td><td>{escape(str(timing))}</td><td>{zone}</td>"
            f"<td>{escape(item.calendar or '')}</td><td>{state}</td></tr>"
        )
    table = (
        '<table class="list"><thead><tr><th>id</th><th>schedule</th><th>job</th><th>timing</th><th>zone</th>'
        f"<th>calendar</th><th>state</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    links = '<p class="meta"><a href="/docs">API docs</a> · <a href="/health">health</a></p>'
    body = f"<h1>jobsched schedules</h1>{links}{table}"
    return page("jobsched", body)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
