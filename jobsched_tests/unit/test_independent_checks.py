"""Checks against independent sources: exchange-calendars itself (a calendar built here, separately from
jobsched's cache) and zoneinfo (every DST transition found by scanning UTC offsets)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pytest

from jobsched.domain.calendars import BusinessCalendar, resolve_calendar
from jobsched.domain.model import DstGap, DstRepeat, SessionEvent, SkipReason, TimingKind, TimingSpec
from jobsched.domain.timing import iter_candidates

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIRST, LAST = date(2026, 1, 1), date(2027, 12, 31)


def utc_day(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@pytest.mark.parametrize("code", ["XNYS", "XLON", "XTKS", "XHKG", "XBOM", "XFRA"])
@pytest.mark.parametrize("event", [SessionEvent.CLOSE, SessionEvent.OPEN])
def test_session_rows_fire_exactly_at_exchange_calendars_sessions(code: str, event: SessionEvent) -> None:
    ours = resolve_calendar(code, {}, NOW)
    assert ours is not None
    last = min(LAST, ours.last_day)
    reference = xcals.get_calendar(code, start=FIRST.isoformat(), end=last.isoformat())
    column = "close" if event is SessionEvent.CLOSE else "open"
    expected = {
        label.date(): instant.to_pydatetime().astimezone(UTC)
        for label, instant in reference.schedule[column].items()
    }
    assert len(expected) > 200

    spec = TimingSpec(kind=TimingKind.SESSION, session_event=event, offset_minutes=0)
    # Session fires can fall on the UTC day before their label (Asian opens), so look a day either side.
    window = list(
        iter_candidates(spec, ours, utc_day(FIRST) - timedelta(days=1), utc_day(last + timedelta(days=2)))
    )
    fired = {
        c.business_date: c.fire_at for c in window if c.skip is None and FIRST <= c.business_date <= last
    }
    assert fired == expected
    skipped = [c for c in window if c.skip is not None and FIRST <= c.business_date <= last]
    assert all(c.skip is SkipReason.HOLIDAY and c.business_date not in expected for c in skipped)
    assert all(c.business_date.weekday() < 5 for c in skipped)  # weekends give nothing at all
    weekdays = sum(1 for n in range((last - FIRST).days + 1) if (FIRST + timedelta(n)).weekday() < 5)
    assert len(skipped) == weekdays - len(expected)  # every weekday is either a fire or a holiday skip


def test_half_days_come_from_exchange_calendars() -> None:
    ours = resolve_calendar("XNYS", {}, NOW)
    assert ours is not None
    reference = xcals.get_calendar("XNYS", start="2026-01-01", end="2027-12-31")
    early = {label.date() for label in reference.early_closes}
    assert date(2026, 11, 27) in early and date(2026, 12, 24) in early
    for day in early:
        assert ours.session_bounds(day)[1] == reference.session_close(day.isoformat()).to_pydatetime()


# ---- DST against zoneinfo ----

DST_ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata"]


def transitions(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, timedelta, timedelta]]:
    """(instant, offset before, offset after) for every UTC offset change, scanning hour by hour."""
    found, at, hour = [], start, timedelta(hours=1)
    while at < end:
        before, after = at.astimezone(zone).utcoffset(), (at + hour).astimezone(zone).utcoffset()
        if before != after:
            instant = at
            while instant.astimezone(zone).utcoffset() == before:
                instant += timedelta(minutes=1)
            assert before is not None and after is not None
            found.append((instant, before, after))
        at += hour
    return found


TRANSITIONS = {
    name: transitions(ZoneInfo(name), datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
    for name in DST_ZONES
}


def test_transitions_found() -> None:
    assert {name: len(found) for name, found in TRANSITIONS.items()} == {
        "America/New_York": 10,
        "Europe/London": 10,
        "Australia/Sydney": 10,
        "America/Sao_Paulo": 0,  # no DST since 2019
        "Asia/Kolkata": 0,
    }


def daily_at(zone: str, wall: datetime, **kw: object) -> TimingSpec:
    return TimingSpec(kind=TimingKind.CRON, cron=f"{wall.minute} {wall.hour} * * *", timezone=zone, **kw)  # type: ignore[arg-type]


def fires_on(spec: TimingSpec, day: date) -> list[tuple[datetime, SkipReason | None]]:
    window = iter_candidates(spec, None, utc_day(day) - timedelta(days=1), utc_day(day) + timedelta(days=2))
    return [(c.fire_at, c.skip) for c in window if c.business_date == day]


@pytest.mark.parametrize(
    ("zone", "transition"), [(name, t) for name, found in TRANSITIONS.items() for t in found]
)
def test_daily_cron_at_each_transitions_local_time(
    zone: str, transition: tuple[datetime, timedelta, timedelta]
) -> None:
    instant, before, after = transition
    size = abs(after - before)
    if after > before:  # spring forward: local times [instant+before, instant+after) do not exist
        wall = (instant + before).replace(tzinfo=None) + size / 2
        day = wall.date()
        assert fires_on(daily_at(zone, wall), day) == [(instant, None)]
        assert fires_on(daily_at(zone, wall, dst_gap=DstGap.SKIP), day) == [(instant, SkipReason.DST_GAP)]
    else:  # fall back: local times [instant+after, instant+before) happen twice
        wall = (instant + after).replace(tzinfo=None) + size / 2
        day = wall.date()
        first, second = (wall - before).replace(tzinfo=UTC), (wall - after).replace(tzinfo=UTC)
        assert second - first == size
        assert fires_on(daily_at(zone, wall), day) == [(first, None)]
        assert fires_on(daily_at(zone, wall, dst_repeat=DstRepeat.BOTH), day) == [
            (first, None),
            (second, None),
        ]
    # The days either side are ordinary: one fire at the wall time with that day's offset.
    for neighbour in (day - timedelta(days=1), day + timedelta(days=1)):
        expected = datetime.combine(neighbour, wall.time(), ZoneInfo(zone)).astimezone(UTC)
        assert fires_on(daily_at(zone, wall), neighbour) == [(expected, None)]


@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "Asia/Kolkata"])
def test_zones_without_dst_fire_once_a_day_at_a_fixed_offset(zone: str) -> None:
    spec = TimingSpec(kind=TimingKind.CRON, cron="30 2 * * *", timezone=zone, dst_repeat=DstRepeat.BOTH)
    found = list(
        iter_candidates(spec, None, datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
    )
    assert len(found) == (date(2031, 1, 1) - date(2026, 1, 1)).days
    offsets = {c.fire_at.astimezone(ZoneInfo(zone)).utcoffset() for c in found}
    assert len(offsets) == 1 and all(c.skip is None and c.detail is None for c in found)
    assert all(c.fire_at.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "02:30" for c in found)


def test_each_calendar_agrees_with_exchange_calendars_on_sessions(
    xnys: BusinessCalendar, xlon: BusinessCalendar, xbom: BusinessCalendar
) -> None:
    for ours in (xnys, xlon, xbom):
        last = min(LAST, ours.last_day)
        reference = xcals.get_calendar(ours.name, start=FIRST.isoformat(), end=last.isoformat())
        sessions = {label.date() for label in reference.sessions}
        every_day = [FIRST + timedelta(n) for n in range((last - FIRST).days + 1)]
        assert {day for day in every_day if ours.is_session(day)} == sessions
