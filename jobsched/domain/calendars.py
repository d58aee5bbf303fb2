"""Business calendars: which dates are sessions and when they open and close. PURE, no I/O, no now().

Two kinds share one interface, `BusinessCalendar`:
- exchange calendars from exchange-calendars, built once per (code, window) and cached, with O(1) lookups;
- custom calendars from rows (`CustomCalendarSpec`): optional exchange base, weekmask, dated overrides.

A date outside a calendar's data is never guessed: every lookup that would need it raises `BeyondHorizon`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import exchange_calendars as xcals

from jobsched.domain.model import CalendarOverride, CustomCalendarSpec

EXCHANGE_CODES: frozenset[str] = frozenset(xcals.get_calendar_names(include_aliases=False))
_ACCEPTED_EXCHANGE_NAMES: frozenset[str] = frozenset(xcals.get_calendar_names(include_aliases=True))

ONE_DAY = timedelta(days=1)
# How far next_session/previous_session look on a calendar whose data never ends (no base) before giving up.
MAX_SESSION_SEARCH_DAYS = 3660
# Exchange data window around `now`, in whole years so that it only changes (and is rebuilt) once a year and
# every month inside it is fully covered.
WINDOW_YEARS_BEFORE = 2
WINDOW_YEARS_AFTER = 2


class BeyondHorizon(Exception):
    """A date outside a calendar's data: it is not known whether it is a session."""

    def __init__(self, calendar: str, day: date, first_day: date, last_day: date, what: str = "") -> None:
        self.calendar, self.day, self.first_day, self.last_day = calendar, day, first_day, last_day
        where = "after" if day > last_day else "before"
        edge = last_day if day > last_day else first_day
        bound = "ends" if day > last_day else "starts"
        message = f"{day} is {where} the {calendar} calendar data ({bound} {edge})"
        super().__init__(f"{message}: {what}" if what else message)


class UnknownCalendar(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"unknown calendar {name!r}: not an exchange code from exchange-calendars "
            "(e.g. XNYS, XLON, XBOM) nor a custom calendar"
        )


class InvalidCalendar(ValueError):
    """A custom calendar row that cannot be used (bad weekmask, zone, override)."""


class NotASession(ValueError):
    pass


class BusinessCalendar(ABC):
    """Dates are the calendar's own session labels; instants are UTC-aware datetimes."""

    name: str
    tz: ZoneInfo
    first_day: date  # inclusive data horizon
    last_day: date

    @abstractmethod
    def is_session(self, day: date) -> bool:
        """Raises BeyondHorizon when `day` is outside the data."""

    @abstractmethod
    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The real (open, close) of the session `day` in UTC; raises NotASession / BeyondHorizon."""

    @abstractmethod
    def regular_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The calendar's normal (open, close) on `day` in UTC, whether or not `day` is a session."""

    @abstractmethod
    def is_weekmask_day(self, day: date) -> bool:
        """A day on which the calendar normally trades (e.g. Mon-Fri); holidays are still weekmask days."""

    def is_known(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def nearest_known_day(self, day: date, forward: bool) -> date | None:
        """`day` if known, else the closest known day after (forward) or before it; None if there is none."""
        if self.is_known(day):
            return day
        if forward:
            return self.first_day if day < self.first_day else None
        return self.last_day if day > self.last_day else None

    def next_session(self, day: date) -> date:
        """The first session strictly after `day`."""
        for offset in range(1, MAX_SESSION_SEARCH_DAYS + 1):
            candidate = _shift_day(self, day, offset)
            if self.is_session(candidate):
                return candidate
        raise BeyondHorizon(self.name, day, self.first_day, self.last_day, "no session within 10 years")

    def previous_session(self, day: date) -> date:
        """The last session strictly before `day`."""
        for offset in range(1, MAX_SESSION_SEARCH_DAYS + 1):
            candidate = _shift_day(self, day, -offset)
            if self.is_session(candidate):
                return candidate
        raise BeyondHorizon(self.name, day, self.first_day, self.last_day, "no session within 10 years")

    def sessions_in_month(self, year: int, month: int) -> list[date]:
        """Raises BeyondHorizon unless every day of the month is known."""
        return [day for day in month_days(year, month) if self.is_session(day)]

    def non_session_kind(self, day: date) -> str:
        """Why a known non-session day is not a session, for skip details."""
        return "holiday" if self.is_weekmask_day(day) else "weekend"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.first_day}..{self.last_day}>"


def _shift_day(calendar: BusinessCalendar, day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise BeyondHorizon(calendar.name, day, calendar.first_day, calendar.last_day) from None


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _local_bounds(day: date, open_time: time, close_time: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    close_day = day + ONE_DAY if close_time <= open_time else day  # an overnight session closes next day
    return local_instant(day, open_time, tz), local_instant(close_day, close_time, tz)


class ExchangeCalendar(BusinessCalendar):
    """exchange-calendars data for [first_day, last_day], copied into plain dicts and lists once."""

    def __init__(self, code: str, first_day: date, last_day: date) -> None:
        # Explicit start and end: xcals' default end is "today + 1 year", which would read the clock.
        source = xcals.get_calendar(code, start=first_day.isoformat(), end=last_day.isoformat())
        self.name = source.name
        self.tz = ZoneInfo(str(source.tz))
        self.first_day, self.last_day = first_day, last_day
        schedule = source.schedule
        days = [label.date() for label in schedule.index]
        opens = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["open"]]
        closes = [ts.to_pydatetime().astimezone(UTC) for ts in schedule["close"]]
        self._sessions: list[date] = days
        self._bounds: dict[date, tuple[datetime, datetime]] = {
            day: (opened, closed) for day, opened, closed in zip(days, opens, closes, strict=True)
        }
        self._by_month: dict[tuple[int, int], list[date]] = {}
        for day in days:
            self._by_month.setdefault((day.year, day.month), []).append(day)
        self._weekmask = tuple(flag == "1" for flag in str(source.weekmask))
        self._open_times = _time_table(source.open_times)
        self._close_times = _time_table(source.close_times)
        self._open_offset = int(source.open_offset)
        self._close_offset = int(source.close_offset)

    def _check(self, day: date, what: str = "") -> None:
        if not self.first_day <= day <= self.last_day:
            raise BeyondHorizon(self.name, day, self.first_day, self.last_day, what)

    def is_session(self, day: date) -> bool:
        self._check(day)
        return day in self._bounds

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        self._check(day)
        try:
            return self._bounds[day]
        except KeyError:
            raise NotASession(f"{day} is not a {self.name} session") from None

    def regular_bounds(self, day: date) -> tuple[datetime, datetime]:
        opened = local_instant(
            day + timedelta(days=self._open_offset), _time_on(self._open_times, day), self.tz
        )
        closed = local_instant(
            day + timedelta(days=self._close_offset), _time_on(self._close_times, day), self.tz
        )
        return opened, closed

    def is_weekmask_day(self, day: date) -> bool:
        return self._weekmask[day.weekday()]

    def next_session(self, day: date) -> date:
        index = bisect_right(self._sessions, day)
        if index == len(self._sessions) or day + ONE_DAY < self.first_day:
            raise BeyondHorizon(
                self.name, day + ONE_DAY, self.first_day, self.last_day, "no next session known"
            )
        return self._sessions[index]

    def previous_session(self, day: date) -> date:
        index = bisect_left(self._sessions, day) - 1
        if index < 0 or day - ONE_DAY > self.last_day:
            raise BeyondHorizon(
                self.name, day - ONE_DAY, self.first_day, self.last_day, "no previous session known"
            )
        return self._sessions[index]

    def sessions_in_month(self, year: int, month: int) -> list[date]:
        days = month_days(year, month)
        self._check(days[0], "month not fully covered")
        self._check(days[-1], "month not fully covered")
        return list(self._by_month.get((year, month), ()))


def _time_table(entries: Iterable[tuple[object, time]]) -> list[tuple[date | None, time]]:
    """xcals' ((start date or None, time), ...) with pandas timestamps turned into dates."""
    return [(None if start is None else start.date(), at) for start, at in entries]  # type: ignore[attr-defined]


def _time_on(table: list[tuple[date | None, time]], day: date) -> time:
    current = table[0][1]
    for start, at in table:
        if start is None or start <= day:
            current = at
    return current


class CustomCalendar(BusinessCalendar):
    """A row-defined calendar. With a base: base sessions on weekmask days, then overrides. Without: weekmask
    days at the spec's open/close, then overrides. Override times are local to the calendar's zone (the base
    exchange's zone, else spec.timezone). Past the base's data only overridden days are known."""

    def __init__(self, spec: CustomCalendarSpec, base: ExchangeCalendar | None) -> None:
        if len(spec.weekmask) != 7 or set(spec.weekmask) - {"0", "1"}:
            raise InvalidCalendar(f"calendar {spec.name!r}: weekmask must be 7 characters of 0/1 (Mon..Sun)")
        self.spec, self.base = spec, base
        self.name = spec.name
        try:
            self.tz = base.tz if base else ZoneInfo(spec.timezone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise InvalidCalendar(f"calendar {spec.name!r}: unknown time zone {spec.timezone!r}") from exc
        self.first_day = base.first_day if base else date.min
        self.last_day = base.last_day if base else date.max
        self._weekmask = tuple(flag == "1" for flag in spec.weekmask)
        self._overrides: dict[date, CalendarOverride] = {}
        for override in spec.overrides:
            if override.kind not in ("holiday", "session"):
                raise InvalidCalendar(
                    f"calendar {spec.name!r}: override {override.day} has kind {override.kind!r}; "
                    "expected 'holiday' or 'session'"
                )
            if override.day in self._overrides:
                raise InvalidCalendar(f"calendar {spec.name!r}: two overrides for {override.day}")
            self._overrides[override.day] = override
        self._override_days = sorted(self._overrides)

    def is_known(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day or day in self._overrides

    def nearest_known_day(self, day: date, forward: bool) -> date | None:
        if self.is_known(day):
            return day
        candidates: list[date] = []
        base_edge = super().nearest_known_day(day, forward)
        if base_edge is not None:
            candidates.append(base_edge)
        if forward:
            index = bisect_left(self._override_days, day)
            if index < len(self._override_days):
                candidates.append(self._override_days[index])
            return min(candidates, default=None)
        index = bisect_right(self._override_days, day) - 1
        if index >= 0:
            candidates.append(self._override_days[index])
        return max(candidates, default=None)

    def is_session(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override.kind == "session"
        if self.base is None:
            return self._weekmask[day.weekday()]
        if not self.base.is_known(day):
            raise BeyondHorizon(self.name, day, self.first_day, self.last_day)
        return self._weekmask[day.weekday()] and self.base.is_session(day)

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        if not self.is_session(day):
            raise NotASession(f"{day} is not a {self.name} session")
        if self.base is not None and self.base.is_known(day) and self.base.is_session(day):
            opened, closed = self.base.session_bounds(day)
        else:
            opened, closed = self.regular_bounds(day)
        override = self._overrides.get(day)
        if override is None or (override.open_time is None and override.close_time is None):
            return opened, closed
        if override.open_time is not None:
            opened = local_instant(day, override.open_time, self.tz)
        if override.close_time is not None:
            closed = local_instant(day, override.close_time, self.tz)
            if closed <= opened:
                closed = local_instant(day + ONE_DAY, override.close_time, self.tz)
        return opened, closed

    def regular_bounds(self, day: date) -> tuple[datetime, datetime]:
        if self.base is not None:
            return self.base.regular_bounds(day)
        return _local_bounds(day, self.spec.open_time, self.spec.close_time, self.tz)

    def is_weekmask_day(self, day: date) -> bool:
        on_base = self.base.is_weekmask_day(day) if self.base is not None else True
        return self._weekmask[day.weekday()] and on_base


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
                calendar = ExchangeCalendar(canonical, first_day, last_day)
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
