"""Calendar-relative rows: `session` (open/close ± offset), `business_day` (nth session of a month). PURE.

session: one fire per session at its REAL open or close (half days included) plus the offset; business date =
the session label. A weekmask day that is not a session (a holiday) gives a `holiday` skip at the calendar's
regular open/close ± offset, a weekmask day beyond the data a `calendar_horizon` skip; weekends give nothing.

business_day: the nth (1..23) or nth-from-last (-1..-23) session of each month at a local time in the row's
zone. A month with fewer sessions gives one `holiday` skip (at the month's last/first session) saying so; a
month the data does not fully cover gives one `calendar_horizon` skip at the nth weekmask day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jobsched.domain.calendars import BeyondHorizon, BusinessCalendar, month_days
from jobsched.domain.dst import wall_instants
from jobsched.domain.model import Candidate, SessionEvent, SkipReason, TimingSpec
from jobsched.domain.steps import ONE_DAY, ONE_HOUR, Step, local_fires, midnight


class SessionSteps:
    def __init__(self, spec: TimingSpec, calendar: BusinessCalendar, with_skips: bool) -> None:
        self.spec, self.calendar, self.with_skips = spec, calendar, with_skips
        self.offset = timedelta(minutes=spec.offset_minutes)
        self.use_open = spec.session_event is SessionEvent.OPEN

    def on_day(self, day: date) -> list[Candidate]:
        calendar = self.calendar
        try:
            if calendar.is_session(day):
                opened, closed = calendar.session_bounds(day)
                return [Candidate((opened if self.use_open else closed) + self.offset, day)]
            why = calendar.non_session_kind(day)
            reason, detail = SkipReason.HOLIDAY, f"{day} is not a {calendar.name} session ({why})"
        except BeyondHorizon as exc:
            reason, detail = SkipReason.CALENDAR_HORIZON, str(exc)
        if not self.with_skips or not calendar.is_weekmask_day(day):
            return []
        opened, closed = calendar.regular_bounds(day)
        nominal = (opened if self.use_open else closed) + self.offset
        return [Candidate(nominal, day, skip=reason, detail=detail)]

    def forward(self, after: datetime, stop: datetime) -> Iterator[Step]:
        tz = self.calendar.tz
        day = (after - self.offset).astimezone(tz).date() - 2 * ONE_DAY
        while True:
            # Sessions of later days open no earlier than this day's midnight (some open the evening before).
            bound = midnight(day, tz) + self.offset - ONE_HOUR
            yield Step(self.on_day(day), bound)
            if bound > stop:
                return
            day += ONE_DAY
            if not self.with_skips and not self.calendar.is_known(day):
                known = self.calendar.nearest_known_day(day, forward=True)
                if known is None:
                    return
                day = known

    def backward(self, until: datetime, floor: datetime) -> Iterator[Step]:
        tz = self.calendar.tz
        day = (until - self.offset).astimezone(tz).date() + 2 * ONE_DAY
        while True:
            # Sessions of earlier days close no later than the day after their label.
            bound = midnight(day + ONE_DAY, tz) + self.offset + ONE_HOUR
            yield Step(self.on_day(day), bound)
            if bound < floor:
                return
            day -= ONE_DAY
            if not self.with_skips and not self.calendar.is_known(day):
                known = self.calendar.nearest_known_day(day, forward=False)
                if known is None:
                    return
                day = known


class BusinessDaySteps:
    def __init__(self, spec: TimingSpec, calendar: BusinessCalendar, with_skips: bool) -> None:
        assert spec.business_day is not None and spec.local_time is not None
        self.spec, self.calendar, self.with_skips = spec, calendar, with_skips
        self.nth = spec.business_day
        self.at = spec.local_time
        self.zone = ZoneInfo(spec.timezone)

    def in_month(self, year: int, month: int) -> list[Candidate]:
        calendar, nth = self.calendar, self.nth
        try:
            sessions = calendar.sessions_in_month(year, month)
        except BeyondHorizon as exc:
            day = self._estimated_day(year, month)
            return self._skip(day, SkipReason.CALENDAR_HORIZON, f"{year}-{month:02d}: {exc}")
        if abs(nth) > len(sessions):
            day = (sessions[-1] if nth > 0 else sessions[0]) if sessions else self._estimated_day(year, month)
            detail = (
                f"{year}-{month:02d} has only {len(sessions)} {calendar.name} sessions: no business day {nth}"
            )
            return self._skip(day, SkipReason.HOLIDAY, detail)
        day = sessions[nth - 1] if nth > 0 else sessions[nth]
        candidates = local_fires(self.spec, self.zone, day, self.at, day)[1]
        return candidates if self.with_skips else [c for c in candidates if c.skip is None]

    def _skip(self, day: date, reason: SkipReason, detail: str) -> list[Candidate]:
        if not self.with_skips:
            return []
        instant = wall_instants(datetime.combine(day, self.at), self.zone).first
        return [Candidate(instant, day, skip=reason, detail=detail)]

    def _estimated_day(self, year: int, month: int) -> date:
        """The nth weekmask day of the month: the nominal date of a fire the data cannot place."""
        days = [day for day in month_days(year, month) if self.calendar.is_weekmask_day(day)]
        days = days or month_days(year, month)
        index = min(self.nth, len(days)) - 1 if self.nth > 0 else max(self.nth, -len(days))
        return days[index]

    def forward(self, after: datetime, stop: datetime) -> Iterator[Step]:
        start = (after - 2 * ONE_DAY).astimezone(self.zone).date()
        year, month = start.year, start.month
        while True:
            candidates = self.in_month(year, month)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            bound = midnight(date(year, month, 1), self.zone) - ONE_HOUR
            yield Step(candidates, bound)
            if bound > stop:
                return

    def backward(self, until: datetime, floor: datetime) -> Iterator[Step]:
        end = (until + 2 * ONE_DAY).astimezone(self.zone).date()
        year, month = end.year, end.month
        while True:
            bound = midnight(date(year, month, 1), self.zone) + 2 * ONE_HOUR
            yield Step(self.in_month(year, month), bound)
            if bound < floor:
                return
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
