"""Calendar-relative rows: session open/close ± offset on real session times, and nth business day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from jobsched.domain.calendars import BusinessCalendar, resolve_calendar
from jobsched.domain.model import (
    CalendarOverride,
    Candidate,
    CustomCalendarSpec,
    DstRepeat,
    SessionEvent,
    SkipReason,
    TimingKind,
    TimingSpec,
)
from jobsched.domain.timing import iter_candidates, last_candidates, next_candidate


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def session(event: SessionEvent, offset: int, zone: str = "UTC") -> TimingSpec:
    return TimingSpec(kind=TimingKind.SESSION, session_event=event, offset_minutes=offset, timezone=zone)


def nth_day(n: int, at: time, zone: str, **kw: object) -> TimingSpec:
    return TimingSpec(kind=TimingKind.BUSINESS_DAY, business_day=n, local_time=at, timezone=zone, **kw)  # type: ignore[arg-type]


def by_date(candidates: list[Candidate]) -> dict[date, Candidate]:
    return {c.business_date: c for c in candidates}


# ---- session ----


def test_close_plus_30m_on_xnys_uses_the_real_close(xnys: BusinessCalendar) -> None:
    spec = session(SessionEvent.CLOSE, 30)
    found = by_date(list(iter_candidates(spec, xnys, utc(2026, 11, 24), utc(2026, 12, 1, 12))))
    assert sorted(found) == [date(2026, 11, d) for d in (24, 25, 26, 27, 30)]  # no weekend candidates
    assert found[date(2026, 11, 25)].fire_at == utc(2026, 11, 25, 21, 30)  # 16:30 ET
    assert found[date(2026, 11, 27)].fire_at == utc(2026, 11, 27, 18, 30)  # half day: 13:30 ET
    assert found[date(2026, 11, 27)].skip is None
    thanksgiving = found[date(2026, 11, 26)]
    assert thanksgiving.skip is SkipReason.HOLIDAY
    assert thanksgiving.fire_at == utc(2026, 11, 26, 21, 30)  # the regular close + 30m
    assert thanksgiving.detail == "2026-11-26 is not a XNYS session (holiday)"


def test_close_fires_follow_new_york_dst(xnys: BusinessCalendar) -> None:
    spec = session(SessionEvent.CLOSE, 30)
    found = by_date(list(iter_candidates(spec, xnys, utc(2026, 10, 29), utc(2026, 11, 3))))
    assert found[date(2026, 10, 30)].fire_at == utc(2026, 10, 30, 20, 30)  # EDT
    assert found[date(2026, 11, 2)].fire_at == utc(2026, 11, 2, 21, 30)  # EST


def test_open_minus_15m_on_xlon(xlon: BusinessCalendar) -> None:
    spec = session(SessionEvent.OPEN, -15)
    found = by_date(list(iter_candidates(spec, xlon, utc(2026, 6, 1), utc(2026, 6, 3))))
    assert found[date(2026, 6, 1)].fire_at == utc(2026, 6, 1, 6, 45)  # 07:45 BST
    winter = by_date(list(iter_candidates(spec, xlon, utc(2026, 12, 23), utc(2026, 12, 30))))
    assert winter[date(2026, 12, 24)].fire_at == utc(2026, 12, 24, 7, 45)  # 07:45 GMT
    assert winter[date(2026, 12, 25)].skip is SkipReason.HOLIDAY
    assert winter[date(2026, 12, 28)].skip is SkipReason.HOLIDAY  # Boxing Day observed (a Monday)
    assert date(2026, 12, 26) not in winter and date(2026, 12, 27) not in winter  # weekend: nothing


def test_half_day_close_on_xlon(xlon: BusinessCalendar) -> None:
    found = by_date(
        list(iter_candidates(session(SessionEvent.CLOSE, 0), xlon, utc(2026, 12, 30), utc(2027, 1, 1)))
    )
    assert found[date(2026, 12, 30)].fire_at == utc(2026, 12, 30, 16, 30)
    assert found[date(2026, 12, 31)].fire_at == utc(2026, 12, 31, 12, 30)  # New Year's Eve half day


def test_session_beyond_data_is_a_horizon_skip_on_weekdays_only(xbom: BusinessCalendar) -> None:
    spec = session(SessionEvent.OPEN, 0)
    found = by_date(list(iter_candidates(spec, xbom, utc(2026, 12, 31), utc(2027, 1, 5))))
    assert sorted(found) == [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 4)]
    assert found[date(2026, 12, 31)].skip is None
    assert found[date(2027, 1, 1)].skip is found[date(2027, 1, 4)].skip is SkipReason.CALENDAR_HORIZON
    assert found[date(2027, 1, 4)].fire_at == utc(2027, 1, 4, 3, 45)  # regular 09:15 IST


def test_session_needs_a_calendar() -> None:
    with pytest.raises(ValueError, match="calendar"):
        list(iter_candidates(session(SessionEvent.OPEN, 0), None, utc(2026, 1, 1), utc(2026, 1, 2)))


def test_session_search_functions(xnys_to_2028: BusinessCalendar) -> None:
    spec = session(SessionEvent.CLOSE, 30)
    following = next_candidate(spec, xnys_to_2028, utc(2026, 11, 25, 22))
    assert following is not None and following.fire_at == utc(2026, 11, 27, 18, 30)
    latest = last_candidates(spec, xnys_to_2028, utc(2026, 11, 30, 12), 2)
    assert [c.fire_at for c in latest] == [utc(2026, 11, 25, 21, 30), utc(2026, 11, 27, 18, 30)]
    past_the_data = next_candidate(session(SessionEvent.OPEN, 0), xnys_to_2028, utc(2028, 12, 30))
    assert past_the_data is None


# ---- business_day ----


def test_third_business_day_at_0700_london_on_xlon(xlon: BusinessCalendar) -> None:
    spec = nth_day(3, time(7, 0), "Europe/London")
    found = list(iter_candidates(spec, xlon, utc(2026, 3, 1), utc(2027, 2, 1)))
    assert all(c.skip is None for c in found)
    days = {c.business_date: c.fire_at for c in found}
    assert days[date(2026, 4, 7)] == utc(2026, 4, 7, 6, 0)  # Apr 1, 2, (Good Friday, Easter Monday), 7; BST
    assert days[date(2027, 1, 6)] == utc(2027, 1, 6, 7, 0)  # Jan 1 holiday: 4, 5, 6; GMT
    assert days[date(2026, 3, 4)] == utc(2026, 3, 4, 7, 0)
    assert len(days) == 11  # March 2026 .. January 2027


def test_last_business_day_at_1800_new_york_on_xnys(xnys: BusinessCalendar) -> None:
    spec = nth_day(-1, time(18, 0), "America/New_York")
    found = [
        (c.business_date, c.fire_at) for c in iter_candidates(spec, xnys, utc(2026, 10, 1), utc(2027, 2, 1))
    ]
    assert found == [
        (date(2026, 10, 30), utc(2026, 10, 30, 22)),  # EDT
        (date(2026, 11, 30), utc(2026, 11, 30, 23)),
        (date(2026, 12, 31), utc(2026, 12, 31, 23)),
        (date(2027, 1, 29), utc(2027, 1, 29, 23)),
    ]


def test_month_with_fewer_sessions_than_n_is_a_skip_saying_so(xnys: BusinessCalendar) -> None:
    spec = nth_day(21, time(9, 0), "America/New_York")
    found = by_date(list(iter_candidates(spec, xnys, utc(2027, 1, 1), utc(2027, 4, 1))))
    february = [c for c in found.values() if c.business_date.month == 2]
    assert len(february) == 1 and february[0].skip is SkipReason.HOLIDAY
    assert "only 19 XNYS sessions" in (february[0].detail or "")
    assert found[date(2027, 3, 30)].skip is None  # March 2027 has 22 sessions (Good Friday 03-26)


def test_business_day_month_beyond_data_is_a_horizon_skip(xbom: BusinessCalendar) -> None:
    spec = nth_day(1, time(10, 0), "Asia/Kolkata")
    found = list(iter_candidates(spec, xbom, utc(2026, 12, 1), utc(2027, 2, 1)))
    assert [(c.business_date, c.skip) for c in found] == [
        (date(2026, 12, 1), None),
        (date(2027, 1, 1), SkipReason.CALENDAR_HORIZON),
    ]
    assert next_candidate(spec, xbom, utc(2026, 12, 2)) is None


def test_business_day_at_a_repeated_local_time_with_both(xnys: BusinessCalendar) -> None:
    """1st session of November 2026 is Monday 11-02, the day after the fall-back: a plain fire."""
    spec = nth_day(1, time(1, 30), "America/New_York", dst_repeat=DstRepeat.BOTH)
    found = list(iter_candidates(spec, xnys, utc(2026, 10, 31), utc(2026, 11, 30)))
    assert [c.fire_at for c in found] == [utc(2026, 11, 2, 6, 30)]


def test_business_day_search_functions(xnys: BusinessCalendar) -> None:
    spec = nth_day(-1, time(18, 0), "America/New_York")
    latest = last_candidates(spec, xnys, utc(2026, 12, 31, 22), 2)
    assert [c.business_date for c in latest] == [date(2026, 10, 30), date(2026, 11, 30)]
    following = next_candidate(spec, xnys, utc(2026, 12, 31, 22))
    assert following is not None and following.business_date == date(2026, 12, 31)
    assert following.fire_at - utc(2026, 12, 31, 22) == timedelta(hours=1)


def test_holiday_override_reason_is_in_the_skip_detail() -> None:
    spec = CustomCalendarSpec(
        name="ops-us",
        base="XNYS",
        overrides=(CalendarOverride(date(2026, 12, 24), "holiday", "office closed"),),
    )
    calendar = resolve_calendar("ops-us", {"ops-us": spec}, datetime(2026, 11, 23, tzinfo=UTC))
    for timing in (
        TimingSpec(
            TimingKind.SESSION, "America/New_York", session_event=SessionEvent.CLOSE, offset_minutes=30
        ),
        TimingSpec(TimingKind.CRON, "America/New_York", cron="0 18 * * 1-5"),
    ):
        after = datetime(2026, 12, 23, 23, 59, tzinfo=UTC)
        (skip,) = [c for c in iter_candidates(timing, calendar, after, after + timedelta(days=1)) if c.skip]
        assert skip.skip is SkipReason.HOLIDAY and "office closed" in (skip.detail or "")


@pytest.fixture(scope="module")
def xnys_to_2028() -> BusinessCalendar:
    """XNYS data cut at 2028-12-31, for what happens at the end of a calendar's data."""
    from jobsched.domain.calendar_kinds import ExchangeCalendar

    return ExchangeCalendar("XNYS", date(2024, 1, 1), date(2028, 12, 31))
