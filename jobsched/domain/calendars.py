"""Business calendars: which dates are sessions and when they open and close. PURE, no I/O, no now().

Two kinds share one interface, `BusinessCalendar` (calendar_base):
- exchange calendars from exchange-calendars, built once per (code, window) and cached, with O(1) lookups;
- custom calendars from rows (`CustomCalendarSpec`): optional exchange base, weekmask, dated overrides.

A date outside a calendar's data is never guessed: every lookup that would need it raises `BeyondHorizon`.
This module is the entry point: resolve a calendar by name, report data horizons.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import exchange_calendars as xcals

from jobsched.domain.calendar_base import (
    MAX_SESSION_SEARCH_DAYS,
    BeyondHorizon,
    BusinessCalendar,
    InvalidCalendar,
    NotASession,
    UnknownCalendar,
    month_days,
)
from jobsched.domain.calendar_kinds import CustomCalendar, ExchangeCalendar
from jobsched.domain.model import CustomCalendarSpec

__all__ = [
    "EXCHANGE_CODES",
    "MAX_SESSION_SEARCH_DAYS",
    "BeyondHorizon",
    "BusinessCalendar",
    "CustomCalendar",
    "ExchangeCalendar",
    "HorizonStatus",
    "InvalidCalendar",
    "NotASession",
    "UnknownCalendar",
    "calendar_fingerprint",
    "custom_calendar",
    "exchange_calendar",
    "exchange_limit",
    "exchange_window",
    "horizon_report",
    "is_exchange_code",
    "month_days",
    "resolve_calendar",
]

EXCHANGE_CODES: frozenset[str] = frozenset(xcals.get_calendar_names(include_aliases=False))
_ACCEPTED_EXCHANGE_NAMES: frozenset[str] = frozenset(xcals.get_calendar_names(include_aliases=True))

# Exchange data window around `now`, in whole years so that it only changes (and is rebuilt) once a year and
# every month inside it is fully covered. Ahead: everything exchange-calendars vouches for (`bound_max`);
# for calendars it generates from rules without a bound, this many years (a bound on memory and build time:
# ~2 s and a few MB per exchange).
WINDOW_YEARS_BEFORE = 2
WINDOW_YEARS_AFTER = 10


# ---- resolution and caches -------------------------------------------------------------------------------

_lock = threading.Lock()
_exchange_cache: dict[tuple[str, date, date], ExchangeCalendar] = {}
_custom_cache: OrderedDict[tuple[object, ...], CustomCalendar] = OrderedDict()
_CUSTOM_CACHE_SIZE = 256


def is_exchange_code(name: str) -> bool:
    """Any name exchange-calendars accepts, aliases included (e.g. 'NYSE' for XNYS)."""
    return name in _ACCEPTED_EXCHANGE_NAMES


def exchange_window(code: str, now: datetime) -> tuple[date, date]:
    """The dates an exchange calendar is built for at `now`: whole years around now, cut to the data xcals
    vouches for (`bound_min`/`bound_max`, e.g. XBOM ends 2026-12-31)."""
    factory = _factory(code)
    today = now.astimezone(UTC).date()
    start, end = date(today.year - WINDOW_YEARS_BEFORE, 1, 1), date(today.year + WINDOW_YEARS_AFTER, 12, 31)
    bound_min, bound_max = factory.bound_min(), factory.bound_max()
    if bound_max is not None:
        end = min(end, bound_max.date())
    if bound_min is not None:
        start = max(start, bound_min.date())
    if start >= end:  # data ended long ago: keep its last years for look-ups of the past
        start = max(date(end.year - WINDOW_YEARS_BEFORE, 1, 1), bound_min.date() if bound_min else date.min)
    return start, end


def exchange_limit(code: str, now: datetime) -> str:
    """Who ends the exchange's data at `now`: the library (its data ends) or jobsched's window."""
    canonical = xcals.resolve_alias(code)
    _, end = exchange_window(canonical, now)
    bound_max = _factory(canonical).bound_max()
    if bound_max is not None and end == bound_max.date():
        return f"exchange-calendars {xcals.__version__} has no {canonical} data after {end}"
    return f"jobsched loads exchange data up to {WINDOW_YEARS_AFTER} years ahead, to {end}"


def _factory(code: str) -> type[xcals.ExchangeCalendar]:
    canonical = xcals.resolve_alias(code)
    # exchange-calendars has no public name -> class map; its dispatcher's is the source of truth.
    factories = xcals.calendar_utils.global_calendar_dispatcher._calendar_factories
    return factories[canonical]


def exchange_calendar(code: str, now: datetime) -> ExchangeCalendar:
    if not is_exchange_code(code):
        raise UnknownCalendar(code)
    canonical = xcals.resolve_alias(code)
    first_day, last_day = exchange_window(canonical, now)
    key = (canonical, first_day, last_day)
    calendar = _exchange_cache.get(key)
    if calendar is None:
        with _lock:
            calendar = _exchange_cache.get(key)
            if calendar is None:
                calendar = ExchangeCalendar(canonical, first_day, last_day, exchange_limit(canonical, now))
                _exchange_cache[key] = calendar
    return calendar


def custom_calendar(spec: CustomCalendarSpec, now: datetime) -> CustomCalendar:
    """Cached by content (not version), so an edited override takes effect at once and an unchanged row is
    not rebuilt."""
    if spec.base is not None and not is_exchange_code(spec.base):
        raise InvalidCalendar(f"calendar {spec.name!r}: base {spec.base!r} is not an exchange code")
    base = exchange_calendar(spec.base, now) if spec.base is not None else None
    content = (
        spec.base,
        spec.weekmask,
        spec.timezone,
        spec.open_time,
        spec.close_time,
        tuple(spec.overrides),
    )
    key = (spec.name, *content, base.first_day if base else None, base.last_day if base else None)
    with _lock:
        calendar = _custom_cache.get(key)
        if calendar is not None:
            _custom_cache.move_to_end(key)
            return calendar
    calendar = CustomCalendar(spec, base)
    with _lock:
        _custom_cache[key] = calendar
        while len(_custom_cache) > _CUSTOM_CACHE_SIZE:
            _custom_cache.popitem(last=False)
    return calendar


def resolve_calendar(
    name: str | None, customs: Mapping[str, CustomCalendarSpec], now: datetime
) -> BusinessCalendar | None:
    """None means no calendar (every day is a business day). Exchange codes take precedence over a custom
    calendar of the same name. Raises UnknownCalendar, or InvalidCalendar for a bad custom row."""
    if name is None:
        return None
    if is_exchange_code(name):
        return exchange_calendar(name, now)
    spec = customs.get(name)
    if spec is None:
        raise UnknownCalendar(name)
    return custom_calendar(spec, now)


def calendar_fingerprint(
    name: str | None, customs: Mapping[str, CustomCalendarSpec], errors: Iterable[str], now: datetime
) -> str:
    """Changes whenever what the calendar answers may change: its data window (the year change, a newer
    exchange-calendars release), a custom calendar's row or overrides, or the name becoming (un)known.
    Cheap: no calendar is built."""
    if name is None:
        return "-"
    if name in set(errors):
        return f"!{name}"
    if is_exchange_code(name):
        first, last = exchange_window(xcals.resolve_alias(name), now)
        return f"{name}:{first}..{last}:{xcals.__version__}"
    spec = customs.get(name)
    if spec is None:
        return f"?{name}"
    base = _base_fingerprint(spec.base, now)
    content = repr((spec.weekmask, spec.timezone, spec.open_time, spec.close_time, tuple(spec.overrides)))
    digest = hashlib.sha1(content.encode()).hexdigest()[:16]
    return f"{name}:{digest}:{base}"[:300]


def _base_fingerprint(base: str | None, now: datetime) -> str:
    if base is None or not is_exchange_code(base):
        return str(base)
    first, last = exchange_window(xcals.resolve_alias(base), now)
    return f"{base}:{first}..{last}"


@dataclass(frozen=True)
class HorizonStatus:
    name: str
    last_day: date | None
    days_left: int | None
    ok: bool
    detail: str | None = None


def horizon_report(
    names: Iterable[str | None],
    customs: Mapping[str, CustomCalendarSpec],
    now: datetime,
    min_days: int = 60,
) -> list[HorizonStatus]:
    """For the health check: how many days of data each calendar has left after `now` (in its own zone).
    A calendar that cannot be resolved is reported not ok, with the reason in `detail`."""
    report: list[HorizonStatus] = []
    for name in dict.fromkeys(n for n in names if n is not None):
        try:
            calendar = resolve_calendar(name, customs, now)
        except (UnknownCalendar, InvalidCalendar) as exc:
            report.append(HorizonStatus(name, None, None, False, str(exc)))
            continue
        assert calendar is not None
        if calendar.last_day == date.max:
            report.append(HorizonStatus(name, None, None, True, "no data horizon (rule-based calendar)"))
            continue
        days_left = (calendar.last_day - now.astimezone(calendar.tz).date()).days
        ok = days_left >= min_days
        detail = None if ok else f"{name} calendar data ends {calendar.last_day} ({days_left} days left)"
        report.append(HorizonStatus(name, calendar.last_day, days_left, ok, detail))
    return report
