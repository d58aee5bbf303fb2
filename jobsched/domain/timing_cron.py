"""Cron rows: matching local wall times -> candidates, with DST policies and the holiday rule. PURE.

The calendar date looked up for a cron fire is the fire's local date in the ROW's zone (a 22:00
America/New_York fire on XBOM asks XBOM about the New York date), and that date is the business date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jobsched.domain.calendars import MAX_SESSION_SEARCH_DAYS, BeyondHorizon, BusinessCalendar
from jobsched.domain.cron import CronWalker
from jobsched.domain.dst import (
    WallInstants,
    first_valid_instant,
    gap_wall_instant,
    local_wall,
    offset_changes_near,
    wall_instants,
)
from jobsched.domain.model import Candidate, DstGap, DstRepeat, HolidayRule, SkipReason, TimingSpec
from jobsched.domain.steps import DST_MARGIN, ONE_DAY, ONE_HOUR, Step, fires_at_wall, midnight

ONE_SECOND = timedelta(seconds=1)
END_OF_TIME = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DayStatus:
    """What the calendar says about one local date of a cron row."""

    skip: SkipReason | None  # every fire of the day is skipped for this reason
    target: date | None  # the business day its fires run on (the day itself unless moved)
    detail: str | None


OPEN_DAY = DayStatus(None, None, None)


class CronSteps:
    def __init__(self, spec: TimingSpec, calendar: BusinessCalendar | None, with_skips: bool) -> None:
        assert spec.cron is not None
        self.spec = spec
        self.rule = spec.holiday_rule
        self.calendar = None if self.rule is HolidayRule.IGNORE else calendar
        self.zone = ZoneInfo(spec.timezone)
        self.walker = CronWalker(spec.cron, spec.cron_day_match)
        self.with_skips = with_skips
        # dst_gap=shift: wall times in a gap that share the gap's end run once there (merged). dst_gap=skip:
        # each keeps its own row; those that lose the gap's end instant get a gap_wall_instant.
        self.gap_rows = spec.dst_gap is DstGap.SKIP
        self._memo: tuple[date, DayStatus] | None = None

    # ---- per-day and per-wall decisions ----

    def status(self, day: date) -> DayStatus:
        if self.calendar is None:
            return OPEN_DAY
        if self._memo is not None and self._memo[0] == day:
            return self._memo[1]
        status = self._status(self.calendar, day)
        self._memo = (day, status)
        return status

    def _status(self, calendar: BusinessCalendar, day: date) -> DayStatus:
        try:
            if calendar.is_session(day):
                return DayStatus(None, day, None)
        except BeyondHorizon as exc:
            return DayStatus(SkipReason.CALENDAR_HORIZON, None, str(exc))
        why = f"{day} is not a {calendar.name} session ({calendar.non_session_kind(day)})"
        if self.rule is HolidayRule.SKIP:
            return DayStatus(SkipReason.HOLIDAY, None, why)
        try:
            if self.rule is HolidayRule.NEXT:
                target = calendar.next_session(day)
            else:
                target = calendar.previous_session(day)
        except BeyondHorizon as exc:
            return DayStatus(SkipReason.CALENDAR_HORIZON, None, f"{why}; cannot move the fire: {exc}")
        return DayStatus(None, target, f"{why}; holiday_rule={self.rule.value}: runs on {target}")

    def candidates(self, wall: datetime, instants: WallInstants) -> list[Candidate]:
        day = wall.date()
        status = self.status(day)
        if status.skip is None and status.target in (None, day):
            return fires_at_wall(self.spec, self.zone, wall, instants, day)
        nominal = [instants.first]
        if instants.second is not None and self.spec.dst_repeat is DstRepeat.BOTH:
            nominal.append(instants.second)
        if status.skip is not None:
            return [Candidate(at, day, skip=status.skip, detail=status.detail) for at in nominal]
        assert status.target is not None
        due = first_valid_instant(datetime.combine(status.target, wall.time()), self.zone)
        return [Candidate(at, day, due_at=due, detail=status.detail) for at in nominal]

    def _keep(self, candidates: list[Candidate]) -> list[Candidate]:
        return candidates if self.with_skips else [c for c in candidates if c.skip is None]

    # ---- forward ----

    def forward(self, after: datetime, stop: datetime) -> Iterator[Step]:
        """Steps covering every candidate with run_at > after, until their bound passes `stop`."""
        start = local_wall(after, self.zone)
        if (self.spec.dst_repeat is DstRepeat.BOTH or self.gap_rows) and offset_changes_near(
            after, self.zone
        ):
            # a second occurrence, or a gap wall recorded just after the gap's end, can have an earlier wall
            start -= DST_MARGIN
        if self.calendar is not None and self.rule is HolidayRule.NEXT:
            start = min(start, self._first_movable_day(start.date()))
        self.walker.seek(start.replace(microsecond=0) - ONE_SECOND)
        # Wall times inside a DST gap share their gap's end instant with each other and with the wall time
        # at the gap's end: the latest gap wall's candidates wait here until a real wall time claims the
        # instant (it wins) or a later instant comes.
        pending: list[Candidate] = []
        pending_at: datetime | None = None
        pending_wall = start
        while (wall := self.walker.next()) is not None:
            instants = wall_instants(wall, self.zone)
            out: list[Candidate] = []
            if pending_at is not None and instants.first != pending_at:
                out, pending, pending_at = pending, [], None
            elif pending and self.gap_rows:  # this wall takes the pending gap wall's instant
                out, pending, pending_at = self._displaced(pending_wall, pending), [], None
            day = wall.date()
            if not self.with_skips and self.status(day).skip is not None:
                useful = self._next_useful_day(day)
                if useful is None:
                    break
                self.walker.seek(datetime.combine(useful, time.min) - ONE_SECOND)
            elif instants.in_gap:
                pending, pending_at, pending_wall = self.candidates(wall, instants), instants.first, wall
            else:
                pending, pending_at = [], None
                out.extend(self.candidates(wall, instants))
            bound = self._lower_bound(day, instants.first, pending)
            yield Step(self._keep(out), bound)
            if bound > stop:
                return
        yield Step(self._keep(pending), END_OF_TIME)

    def _displaced(self, wall: datetime, candidates: list[Candidate]) -> list[Candidate]:
        """A gap wall's candidates, moved off the gap's end instant that a later wall time takes."""
        out = []
        for c in candidates:
            note = "" if c.skip is SkipReason.DST_GAP else f"{wall:%H:%M} is in the DST gap; "
            note += "recorded just after the gap's end, which belongs to a later wall time"
            detail = f"{c.detail}; {note}" if c.detail else note
            out.append(replace(c, fire_at=gap_wall_instant(wall, c.fire_at, self.zone), detail=detail))
        return out

    def _lower_bound(self, day: date, first: datetime, pending: list[Candidate]) -> datetime:
        """No later wall time yields a run_at before this."""
        bound = min([first, *(c.run_at for c in pending)])
        if self.calendar is not None and self.rule is HolidayRule.PREVIOUS:
            target = self.status(day).target
            earliest = day if target is None else min(day, target)
            bound = min(bound, midnight(earliest, self.zone) - ONE_HOUR)
        return bound

    def _first_movable_day(self, day: date) -> datetime:
        """With holiday_rule=next, fires on the non-session days right before `day` run on or after it."""
        assert self.calendar is not None
        earliest = day
        for _ in range(MAX_SESSION_SEARCH_DAYS):
            before = earliest - ONE_DAY
            if not self.calendar.is_known(before) or self.calendar.is_session(before):
                break
            earliest = before
        return datetime.combine(earliest, time.min)

    def _next_useful_day(self, day: date) -> date | None:
        """After a day whose fires are all skipped: the next day that may hold a run (None: no such day)."""
        assert self.calendar is not None
        if self.rule is HolidayRule.SKIP:
            try:
                return self.calendar.next_session(day)
            except BeyondHorizon:
                pass
        return self.calendar.nearest_known_day(day + ONE_DAY, forward=True)

    # ---- backward ----

    def backward(self, until: datetime, floor: datetime) -> Iterator[Step]:
        """Steps covering every candidate with run_at <= until, latest first, until their bound passes
        below `floor`."""
        start = local_wall(until, self.zone)
        if offset_changes_near(until, self.zone):
            start += DST_MARGIN  # after a fall-back, later wall times can have earlier instants
        if self.calendar is not None and self.rule is HolidayRule.PREVIOUS:
            start = max(start, self._last_movable_day_end(start.date()))
        self.walker.seek(start.replace(microsecond=0) + ONE_SECOND)
        latest_first: datetime | None = None
        while (wall := self.walker.prev()) is not None:
            day = wall.date()
            if not self.with_skips and self.status(day).skip is not None:
                useful = self._previous_useful_day(day)
                if useful is None:
                    return
                self.walker.seek(datetime.combine(useful + ONE_DAY, time.min))
                bound = self._upper_bound(day, midnight(day + ONE_DAY, self.zone))
                yield Step([], bound)
                if bound < floor:
                    return
                continue
            instants = wall_instants(wall, self.zone)
            found = self.candidates(wall, instants)
            if instants.first == latest_first:  # a gap wall on an instant a later wall time took
                if not self.gap_rows:
                    continue
                found = self._displaced(wall, found)
            latest_first = instants.first
            bound = self._upper_bound(day, instants.last)
            yield Step(self._keep(found), bound)
            if bound < floor:
                return

    def _upper_bound(self, day: date, last: datetime) -> datetime:
        """No earlier wall time yields a run_at after this."""
        if self.calendar is not None and self.rule is HolidayRule.NEXT:
            target = self.status(day).target
            latest = day if target is None else max(day, target)
            return max(last, midnight(latest + ONE_DAY, self.zone) + ONE_HOUR)
        return last

    def _last_movable_day_end(self, day: date) -> datetime:
        """With holiday_rule=previous, fires on the non-session days right after `day` run on or before it."""
        assert self.calendar is not None
        latest = day
        for _ in range(MAX_SESSION_SEARCH_DAYS):
            after = latest + ONE_DAY
            if not self.calendar.is_known(after) or self.calendar.is_session(after):
                break
            latest = after
        return datetime.combine(latest + ONE_DAY, time.min)

    def _previous_useful_day(self, day: date) -> date | None:
        assert self.calendar is not None
        if self.rule is HolidayRule.SKIP:
            try:
                return self.calendar.previous_session(day)
            except BeyondHorizon:
                pass
        return self.calendar.nearest_known_day(day - ONE_DAY, forward=False)
