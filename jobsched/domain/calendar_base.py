"""The BusinessCalendar interface, its errors and small date helpers. PURE."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)
# How far the generic next_session/previous_session look before giving up (a custom calendar with hardly any
# sessions must not make every lookup scan years of days).
MAX_SESSION_SEARCH_DAYS = 370


class BeyondHorizon(Exception):
    """A date outside a calendar's data: it is not known whether it is a session."""

    def __init__(
        self, calendar: str, day: date, first_day: date, last_day: date, what: str = "", limit: str = ""
    ) -> None:
        self.calendar, self.day, self.first_day, self.last_day = calendar, day, first_day, last_day
        if day > last_day:
            because = f"; {limit}" if limit else ""
            message = f"{day} is after the {calendar} calendar data (ends {last_day}{because})"
        elif day < first_day:
            message = f"{day} is before the {calendar} calendar data (starts {first_day})"
        else:
            message = f"{calendar} calendar, from {day}"
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
        raise BeyondHorizon(self.name, day, self.first_day, self.last_day, "no session within a year")

    def previous_session(self, day: date) -> date:
        """The last session strictly before `day`."""
        for offset in range(1, MAX_SESSION_SEARCH_DAYS + 1):
            candidate = _shift_day(self, day, -offset)
            if self.is_session(candidate):
                return candidate
        raise BeyondHorizon(self.name, day, self.first_day, self.last_day, "no session within a year")

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


def local_bounds(day: date, open_time: time, close_time: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    close_day = day + ONE_DAY if close_time <= open_time else day  # an overnight session closes next day
    return local_instant(day, open_time, tz), local_instant(close_day, close_time, tz)
