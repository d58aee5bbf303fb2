"""Properties of cron timing over random rows, zones, calendars and windows (hypothesis).

The DST property compares against a brute-force oracle: every UTC minute of the window turned into local wall
time with zoneinfo, matched against the cron fields by a plain matcher written here (not croniter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobsched.domain.calendars import BeyondHorizon, BusinessCalendar, resolve_calendar
from jobsched.domain.model import (
    CalendarOverride,
    CronDayMatch,
    CustomCalendarSpec,
    DstGap,
    DstRepeat,
    HolidayRule,
    SkipReason,
    TimingKind,
    TimingSpec,
)
from jobsched.domain.timing import iter_candidates, last_candidates, next_candidate

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # DST starts at 24:00: the gap is local midnight
    "America/Sao_Paulo",
    "Asia/Kolkata",
]
CUSTOMS = {
    "ops": CustomCalendarSpec(
        name="ops",
        base="XNYS",
        overrides=(
            CalendarOverride(date(2026, 12, 5), "session", "saturday session", time(10), time(12)),
            CalendarOverride(date(2026, 12, 24), "holiday", "office closed"),
        ),
    ),
    "tue-sat": CustomCalendarSpec(name="tue-sat", weekmask="0111110", timezone="Europe/London"),
}
CALENDARS: dict[str | None, BusinessCalendar | None] = {
    name: resolve_calendar(name, CUSTOMS, NOW) for name in (None, "XNYS", "XLON", "XBOM", "ops", "tue-sat")
}
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class CronFields:
    minutes: frozenset[int]
    hours: frozenset[int] | None  # None: '*'
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None  # cron numbering, 0 = Sunday
    match: CronDayMatch

    def expr(self) -> str:
        def field(values: frozenset[int] | None) -> str:
            return "*" if values is None else ",".join(str(v) for v in sorted(values))

        return " ".join(
            [
                field(self.minutes),
                field(self.hours),
                field(self.days),
                field(self.months),
                field(self.weekdays),
            ]
        )

    def matches(self, wall: datetime) -> bool:
        if wall.minute not in self.minutes or (self.hours is not None and wall.hour not in self.hours):
            return False
        if self.months is not None and wall.month not in self.months:
            return False
        day_ok = self.days is None or wall.day in self.days
        weekday_ok = self.weekdays is None or (wall.weekday() + 1) % 7 in self.weekdays
        if self.days is not None and self.weekdays is not None and self.match is CronDayMatch.OR:
            return day_ok or weekday_ok
        return day_ok and weekday_ok


def optional_set(values: st.SearchStrategy[int], max_size: int) -> st.SearchStrategy[frozenset[int] | None]:
    return st.one_of(st.none(), st.frozensets(values, min_size=1, max_size=max_size))


cron_fields = st.builds(
    CronFields,
    minutes=st.frozensets(st.integers(0, 59), min_size=1, max_size=3),
    hours=st.one_of(st.frozensets(st.integers(0, 23), min_size=1, max_size=4), st.just(None)),
    days=optional_set(st.integers(1, 31), 8),
    months=st.one_of(st.none(), st.frozensets(st.integers(1, 12), min_size=6, max_size=12)),
    weekdays=optional_set(st.integers(0, 6), 4),
    match=st.sampled_from(CronDayMatch),
)


@st.composite
def rows(draw: st.DrawFn) -> tuple[CronFields, TimingSpec, str | None]:
    fields = draw(cron_fields)
    spec = TimingSpec(
        kind=TimingKind.CRON,
        cron=fields.expr(),
        cron_day_match=fields.match,
        timezone=draw(st.sampled_from(ZONES)),
        holiday_rule=draw(st.sampled_from(HolidayRule)),
        dst_gap=draw(st.sampled_from(DstGap)),
        dst_repeat=draw(st.sampled_from(DstRepeat)),
    )
    return fields, spec, draw(st.sampled_from(list(CALENDARS)))


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    found, hour, at = [], timedelta(hours=1), start
    while at < end:
        if (at + hour).astimezone(zone).utcoffset() != at.astimezone(zone).utcoffset():
            minute = at
            while minute.astimezone(zone).utcoffset() == at.astimezone(zone).utcoffset():
                minute += MINUTE
            found.append(minute)
        at += hour
    return found


TRANSITIONS = [
    (name, instant)
    for name in ZONES
    for instant in _transitions(
        ZoneInfo(name), datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    )
]


anywhere = st.integers(0, 60 * 24 * 540).map(lambda m: datetime(2026, 1, 1, tzinfo=UTC) + m * MINUTE)
near_transitions = st.builds(
    lambda transition, minutes: transition[1] + minutes * MINUTE,
    st.sampled_from(TRANSITIONS),
    st.integers(-60 * 6, 60 * 6),
)
instants = st.one_of(anywhere, near_transitions)
spans = st.integers(1, 60 * 24 * 8).map(lambda m: m * MINUTE)


@FAST
@given(rows(), instants, spans)
def test_candidates_are_ordered_unique_and_inside_the_window(
    row: tuple[CronFields, TimingSpec, str | None], after: datetime, span: timedelta
) -> None:
    _, spec, name = row
    found = list(iter_candidates(spec, CALENDARS[name], after, after + span))
    keys = [(c.run_at, c.fire_at) for c in found]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert len({c.fire_at for c in found}) == len(found)
    assert all(after < c.run_at <= after + span for c in found)
    assert all(c.fire_at.tzinfo is not None and c.fire_at.utcoffset() == timedelta(0) for c in found)
    zone = ZoneInfo(spec.timezone)
    for c in found:
        if c.due_at is None:
            assert c.business_date == c.fire_at.astimezone(zone).date()


@FAST
@given(rows(), instants, spans)
def test_never_runs_on_a_non_business_day_unless_ignore(
    row: tuple[CronFields, TimingSpec, str | None], after: datetime, span: timedelta
) -> None:
    _, spec, name = row
    calendar = CALENDARS[name]
    zone = ZoneInfo(spec.timezone)
    for c in iter_candidates(spec, calendar, after, after + span):
        if calendar is None or spec.holiday_rule is HolidayRule.IGNORE:
            assert c.skip in (None, SkipReason.DST_GAP) and c.due_at is None
            continue
        if c.skip is None:
            assert calendar.is_session(c.run_at.astimezone(zone).date())
            assert (c.due_at is None) == calendar.is_session(c.business_date)
        elif c.skip is SkipReason.HOLIDAY:
            assert not calendar.is_session(c.business_date) and spec.holiday_rule is HolidayRule.SKIP
        elif c.skip is SkipReason.CALENDAR_HORIZON:
            assert _unknown_or_unmovable(calendar, c.business_date)


def _unknown_or_unmovable(calendar: BusinessCalendar, day: date) -> bool:
    try:
        return not calendar.is_session(day)  # known: only a failed move can hit the horizon
    except BeyondHorizon:
        return True


@FAST
@given(rows(), instants, spans, spans)
def test_windows_concatenate(
    row: tuple[CronFields, TimingSpec, str | None], a: datetime, first: timedelta, second: timedelta
) -> None:
    _, spec, name = row
    calendar = CALENDARS[name]
    b, c = a + first, a + first + second
    whole = list(iter_candidates(spec, calendar, a, c))
    assert whole == list(iter_candidates(spec, calendar, a, b)) + list(iter_candidates(spec, calendar, b, c))


@FAST
@given(rows(), instants, st.integers(1, 4))
def test_search_functions_agree_with_iteration(
    row: tuple[CronFields, TimingSpec, str | None], at: datetime, n: int
) -> None:
    _, spec, name = row
    calendar = CALENDARS[name]
    span = timedelta(days=40)
    runs_before = [c for c in iter_candidates(spec, calendar, at - span, at) if c.skip is None]
    latest = last_candidates(spec, calendar, at, n)
    tail = min(n, len(runs_before))
    assert latest[len(latest) - tail :] == runs_before[len(runs_before) - tail :]
    assert all(c.run_at <= at - span for c in latest[: len(latest) - tail])
    runs_after = (c for c in iter_candidates(spec, calendar, at, at + span) if c.skip is None)
    expected = next(runs_after, None)
    found = next_candidate(spec, calendar, at)
    if expected is not None:
        assert found == expected
    else:
        assert found is None or found.run_at > at + span


# ---- DST: every requested local time exactly once per policy ----


def oracle(
    fields: CronFields, spec: TimingSpec, after: datetime, until: datetime
) -> set[tuple[datetime, bool]]:
    """(fire instant, runs) for every matching local time in (after, until], by brute force."""
    zone = ZoneInfo(spec.timezone)
    expected: set[tuple[datetime, bool]] = set()
    at = after.replace(second=0, microsecond=0) + MINUTE
    while at <= until:
        local = at.astimezone(zone)
        wall = local.replace(tzinfo=None)
        repeated = wall.replace(tzinfo=zone, fold=1 - local.fold).astimezone(UTC) != at
        second_occurrence = repeated and local.fold == 1
        if fields.matches(wall) and (not second_occurrence or spec.dst_repeat is DstRepeat.BOTH):
            expected.add((at, True))
        at += MINUTE
    for transition in TRANSITIONS:
        # (a gap's skipped wall times may be recorded up to ~3 s after the gap's end)
        near = after < transition[1] + 4 * SECOND and transition[1] <= until
        if transition[0] != spec.timezone or not near:
            continue
        end = transition[1]
        gap_start = (end - MINUTE).astimezone(zone).replace(tzinfo=None) + MINUTE
        gap_end = end.astimezone(zone).replace(tzinfo=None)
        walls, wall = [], gap_start
        while wall < gap_end:  # empty for a fall-back transition
            if fields.matches(wall):
                walls.append(wall)
            wall += MINUTE
        if spec.dst_gap is DstGap.SHIFT:  # all of them run once at the gap's end, unless it is taken
            if walls and after < end and (end, True) not in expected:
                expected.add((end, True))
            continue
        # skip: one row each; the latest keeps the gap's end unless the real wall time there fires, the
        # others are recorded (minutes into the gap + 1)/60 seconds after it
        for wall in walls:
            taken = wall != walls[-1] or fields.matches(gap_end)
            at = end + ((wall - gap_start) + MINUTE) / 3600 if taken else end
            if after < at <= until:
                expected.add((at, False))
    return expected


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cron_fields,
    st.sampled_from(TRANSITIONS),
    st.sampled_from(DstGap),
    st.sampled_from(DstRepeat),
    st.integers(-60 * 20, 60 * 4),
    st.integers(60, 60 * 24),
)
def test_every_local_time_fires_exactly_once_per_dst_policy(
    fields: CronFields,
    transition: tuple[str, datetime],
    gap: DstGap,
    repeat: DstRepeat,
    start_offset: int,
    length: int,
) -> None:
    zone, at = transition
    # Hours around the transition so that gap and repeated hour are exercised most of the time.
    fields = CronFields(fields.minutes, None, None, None, None, fields.match)
    spec = TimingSpec(kind=TimingKind.CRON, cron=fields.expr(), timezone=zone, dst_gap=gap, dst_repeat=repeat)
    after = at + start_offset * MINUTE
    until = after + length * MINUTE
    found = list(iter_candidates(spec, None, after, until))
    assert {(c.fire_at, c.skip is None) for c in found} == oracle(fields, spec, after, until)
    assert len(found) == len({c.fire_at for c in found})
    assert all(c.skip in (None, SkipReason.DST_GAP) for c in found)


@FAST
@given(cron_fields, st.sampled_from(ZONES), instants, st.integers(1, 60 * 24 * 3), st.sampled_from(DstRepeat))
def test_cron_matches_a_brute_force_oracle(
    fields: CronFields, zone: str, after: datetime, length: int, repeat: DstRepeat
) -> None:
    spec = TimingSpec(
        kind=TimingKind.CRON,
        cron=fields.expr(),
        cron_day_match=fields.match,
        timezone=zone,
        dst_repeat=repeat,
    )
    until = after + length * MINUTE
    found = list(iter_candidates(spec, None, after, until))
    assert {(c.fire_at, c.skip is None) for c in found} == oracle(fields, spec, after, until)


def test_transitions_cover_the_interesting_zones() -> None:
    zones = {name for name, _ in TRANSITIONS}
    assert {"America/New_York", "Europe/London", "Australia/Sydney", "Australia/Lord_Howe"} <= zones
    assert "America/Santiago" in zones
    assert not {"America/Sao_Paulo", "Asia/Kolkata", "UTC"} & zones
