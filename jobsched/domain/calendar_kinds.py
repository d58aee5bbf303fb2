"""The two kinds of BusinessCalendar: exchange calendars (exchange-calendars data copied into plain dicts for
O(1) look-ups) and custom calendars defined by rows. PURE: built from data, never from the clock."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import exchange_calendars as xcals

from jobsched.domain.calendar_base import (
    ONE_DAY,
    BeyondHorizon,
    BusinessCalendar,
    InvalidCalendar,
    NotASession,
    local_bounds,
    local_instant,
    month_days,
)
from jobsched.domain.model import CalendarOverride, CustomCalendarSpec


class ExchangeCalendar(BusinessCalendar):
    """exchange-calendars data for [first_day, last_day], copied into plain dicts and lists once."""

    def __init__(self, code: str, first_day: date, last_day: date, limit: str = "") -> None:
        # Explicit start and end: xcals' default end is "today + 1 year", which would read the clock.
        source = xcals.get_calendar(code, start=first_day.isoformat(), end=last_day.isoformat())
        self.name = source.name
        self.tz = ZoneInfo(str(source.tz))
        self.first_day, self.last_day = first_day, last_day
        self.limit = limit  # who set last_day: the library's data or jobsched's window, for skip texts
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
            raise BeyondHorizon(self.name, day, self.first_day, self.last_day, what, self.limit)

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
                self.name, day + ONE_DAY, self.first_day, self.last_day, "no next session known", self.limit
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

    def non_session_kind(self, day: date) -> str:
        override = self._overrides.get(day)
        if override is not None and override.kind == "holiday":
            return f"holiday: {override.reason}"
        return super().non_session_kind(day)

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
        return local_bounds(day, self.spec.open_time, self.spec.close_time, self.tz)

    def is_weekmask_day(self, day: date) -> bool:
        on_base = self.base.is_weekmask_day(day) if self.base is not None else True
        return self._weekmask[day.weekday()] and on_base
