"""Exchange calendars (window, horizon, caching) and custom calendars (overrides, weekmask, extension past
the data), plus the horizon health report."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time

import pytest

from jobsched.domain.calendars import (
    EXCHANGE_CODES,
    BeyondHorizon,
    BusinessCalendar,
    InvalidCalendar,
    NotASession,
    UnknownCalendar,
    exchange_window,
    horizon_report,
    resolve_calendar,
)
from jobsched.domain.model import (
    CalendarOverride,
    CustomCalendarSpec,
    SessionEvent,
    SkipReason,
    TimingKind,
    TimingSpec,
)
from jobsched.domain.timing import iter_candidates

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def custom(spec: CustomCalendarSpec, now: datetime = NOW) -> BusinessCalendar:
    calendar = resolve_calendar(spec.name, {spec.name: spec}, now)
    assert calendar is not None
    return calendar


# ---- exchange calendars ----


def test_exchange_codes_and_aliases() -> None:
    assert {"XNYS", "XLON", "XBOM", "XTKS", "XHKG", "XFRA"} <= EXCHANGE_CODES
    nyse = resolve_calendar("NYSE", {}, NOW)  # an alias exchange-calendars accepts
    assert nyse is not None and nyse.name == "XNYS"
    assert resolve_calendar(None, {}, NOW) is None


def test_unknown_calendar_is_named() -> None:
    with pytest.raises(UnknownCalendar, match="'NOPE'"):
        resolve_calendar("NOPE", {}, NOW)


def test_window_covers_2027_and_stops_at_xbom_data_end(
    xnys: BusinessCalendar, xbom: BusinessCalendar
) -> None:
    assert exchange_window("XNYS", NOW) == (date(2024, 1, 1), date(2036, 12, 31))
    assert xnys.is_session(date(2027, 12, 31))
    assert xbom.last_day == date(2026, 12, 31)  # exchange-calendars' bound_max for XBOM
    assert xbom.is_session(date(2026, 12, 31))
    with pytest.raises(BeyondHorizon, match="2026-12-31") as beyond:
        xbom.is_session(date(2027, 1, 4))
    assert "exchange-calendars" in str(beyond.value) and "no XBOM data after 2026-12-31" in str(beyond.value)
    with pytest.raises(BeyondHorizon):
        xbom.next_session(date(2026, 12, 31))
    with pytest.raises(BeyondHorizon):
        xbom.sessions_in_month(2027, 1)


def test_a_2029_fire_previewed_in_2026_uses_the_library_s_data_and_names_the_real_limit(
    xnys: BusinessCalendar,
) -> None:
    assert xnys.is_session(date(2029, 6, 1)) and not xnys.is_session(date(2029, 7, 4))
    with pytest.raises(BeyondHorizon, match="jobsched loads exchange data up to 10 years ahead"):
        xnys.is_session(date(2037, 1, 5))


def test_window_once_data_has_ended_still_answers_for_the_past() -> None:
    later = datetime(2029, 6, 1, tzinfo=UTC)
    first_day, last_day = exchange_window("XBOM", later)
    assert last_day == date(2026, 12, 31) and first_day < last_day
    calendar = resolve_calendar("XBOM", {}, later)
    assert calendar is not None and calendar.is_session(date(2026, 12, 31))


def test_real_session_times_and_lookups(xnys: BusinessCalendar) -> None:
    assert xnys.session_bounds(date(2026, 11, 27)) == (utc(2026, 11, 27, 14, 30), utc(2026, 11, 27, 18, 0))
    assert xnys.regular_bounds(date(2026, 11, 26)) == (utc(2026, 11, 26, 14, 30), utc(2026, 11, 26, 21, 0))
    with pytest.raises(NotASession):
        xnys.session_bounds(date(2026, 11, 26))
    assert xnys.next_session(date(2026, 11, 25)) == date(2026, 11, 27)
    assert xnys.previous_session(date(2026, 11, 30)) == date(2026, 11, 27)
    assert xnys.is_weekmask_day(date(2026, 11, 26)) and not xnys.is_weekmask_day(date(2026, 11, 28))
    assert len(xnys.sessions_in_month(2026, 11)) == 20
    with pytest.raises(BeyondHorizon):
        xnys.is_session(date(2023, 12, 29))


@pytest.mark.no_cover  # asserts elapsed time: coverage tracing (make test) would slow what it measures
def test_exchange_calendar_is_built_once_and_cached() -> None:
    first = resolve_calendar("XTKS", {}, NOW)
    started = clock.perf_counter()
    again = resolve_calendar("XTKS", {}, utc(2026, 12, 31, 23))
    assert again is first
    assert clock.perf_counter() - started < 0.005


# ---- custom calendars ----


def test_holiday_override_on_a_base_calendar() -> None:
    overrides = (
        CalendarOverride(date(2025, 1, 9), "holiday", "National Day of Mourning for President Carter"),
        CalendarOverride(date(2026, 12, 24), "holiday", "office closed"),
    )
    calendar = custom(CustomCalendarSpec(name="nyse-ops", base="XNYS", overrides=overrides))
    assert not calendar.is_session(date(2025, 1, 9))
    assert calendar.is_session(date(2025, 1, 8)) and calendar.is_session(date(2025, 1, 10))
    assert not calendar.is_session(date(2026, 12, 24))
    assert calendar.next_session(date(2026, 12, 23)) == date(2026, 12, 28)
    assert not calendar.is_session(date(2026, 11, 26))  # base holidays still apply
    assert calendar.tz.key == "America/New_York"


def test_holiday_override_on_a_rule_based_calendar() -> None:
    spec = CustomCalendarSpec(
        name="ops",
        timezone="America/New_York",
        open_time=time(9, 30),
        close_time=time(16, 0),
        overrides=(CalendarOverride(date(2025, 1, 9), "holiday", "NYSE closure"),),
    )
    calendar = custom(spec)
    assert [calendar.is_session(date(2025, 1, d)) for d in range(6, 13)] == [1, 1, 1, 0, 1, 0, 0]
    assert calendar.session_bounds(date(2025, 1, 8)) == (utc(2025, 1, 8, 14, 30), utc(2025, 1, 8, 21, 0))
    assert calendar.sessions_in_month(2025, 1)[:3] == [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3)]


def test_saturday_extra_session_with_its_own_hours() -> None:
    saturday = date(2026, 12, 5)
    spec = CustomCalendarSpec(
        name="nyse-plus",
        base="XNYS",
        overrides=(CalendarOverride(saturday, "session", "migration rehearsal", time(10, 0), time(12, 0)),),
    )
    calendar = custom(spec)
    assert calendar.is_session(saturday) and not calendar.is_weekmask_day(saturday)
    assert calendar.session_bounds(saturday) == (utc(2026, 12, 5, 15), utc(2026, 12, 5, 17))
    assert calendar.next_session(date(2026, 12, 4)) == saturday

    close = TimingSpec(kind=TimingKind.SESSION, session_event=SessionEvent.CLOSE)
    fires = [
        c for c in iter_candidates(close, calendar, utc(2026, 12, 4), utc(2026, 12, 8)) if c.skip is None
    ]
    assert [c.fire_at for c in fires] == [utc(2026, 12, 4, 21), utc(2026, 12, 5, 17), utc(2026, 12, 7, 21)]
    daily = TimingSpec(kind=TimingKind.CRON, cron="0 11 * * *", timezone="America/New_York")
    found = {
        c.business_date: c.skip for c in iter_candidates(daily, calendar, utc(2026, 12, 5), utc(2026, 12, 7))
    }
    assert found == {saturday: None, date(2026, 12, 6): SkipReason.HOLIDAY}


def test_session_override_redefines_a_base_session() -> None:
    day = date(2026, 11, 27)
    spec = CustomCalendarSpec(
        name="nyse-late",
        base="XNYS",
        overrides=(CalendarOverride(day, "session", "late close", None, time(15)),),
    )
    calendar = custom(spec)
    assert calendar.session_bounds(day) == (utc(2026, 11, 27, 14, 30), utc(2026, 11, 27, 20, 0))


def test_overrides_extend_a_calendar_past_its_data() -> None:
    spec = CustomCalendarSpec(
        name="bse-2027",
        base="XBOM",
        overrides=(
            CalendarOverride(date(2027, 1, 4), "session", "published BSE calendar 2027"),
            CalendarOverride(date(2027, 1, 5), "holiday", "published BSE calendar 2027"),
        ),
    )
    calendar = custom(spec)
    assert calendar.is_session(date(2027, 1, 4))
    assert calendar.session_bounds(date(2027, 1, 4)) == (utc(2027, 1, 4, 3, 45), utc(2027, 1, 4, 10, 0))
    assert not calendar.is_session(date(2027, 1, 5))
    with pytest.raises(BeyondHorizon):
        calendar.is_session(date(2027, 1, 6))
    assert calendar.next_session(date(2027, 1, 3)) == date(2027, 1, 4)
    with pytest.raises(BeyondHorizon):  # 2027-01-01 has no override: unknown, never assumed open or closed
        calendar.next_session(date(2026, 12, 31))

    row = TimingSpec(kind=TimingKind.CRON, cron="15 9 * * 1-5", timezone="Asia/Kolkata")
    found = {
        c.business_date: c.skip for c in iter_candidates(row, calendar, utc(2027, 1, 1), utc(2027, 1, 7))
    }
    assert found == {
        date(2027, 1, 1): SkipReason.CALENDAR_HORIZON,
        date(2027, 1, 4): None,
        date(2027, 1, 5): SkipReason.HOLIDAY,
        date(2027, 1, 6): SkipReason.CALENDAR_HORIZON,
    }


def test_weekmask_filters_the_base() -> None:
    calendar = custom(CustomCalendarSpec(name="mwf", base="XNYS", weekmask="1010100"))
    assert calendar.sessions_in_month(2026, 11)[:4] == [date(2026, 11, d) for d in (2, 4, 6, 9)]


def test_bad_custom_rows_are_refused() -> None:
    with pytest.raises(InvalidCalendar, match="weekmask"):
        custom(CustomCalendarSpec(name="bad", weekmask="11111"))
    with pytest.raises(InvalidCalendar, match="two overrides"):
        custom(
            CustomCalendarSpec(
                name="dup",
                overrides=(
                    CalendarOverride(date(2026, 1, 2), "holiday", "a"),
                    CalendarOverride(date(2026, 1, 2), "session", "b"),
                ),
            )
        )
    with pytest.raises(InvalidCalendar, match="not an exchange code"):
        custom(CustomCalendarSpec(name="nobase", base="XXXX"))


def test_custom_cache_follows_content_not_identity() -> None:
    spec = CustomCalendarSpec(name="ops-cache", base="XNYS")
    first = custom(spec)
    assert custom(CustomCalendarSpec(name="ops-cache", base="XNYS", version=7)) is first
    edited = CustomCalendarSpec(
        name="ops-cache", base="XNYS", overrides=(CalendarOverride(date(2026, 12, 1), "holiday", "edit"),)
    )
    changed = custom(edited)
    assert changed is not first and not changed.is_session(date(2026, 12, 1))
    assert first.is_session(date(2026, 12, 1))


# ---- horizon report ----


def test_horizon_report_flags_xbom_not_xnys() -> None:
    extended = CustomCalendarSpec(name="bse-ops", base="XBOM")
    rule_based = CustomCalendarSpec(name="plain")
    report = {
        s.name: s
        for s in horizon_report(
            ["XNYS", "XBOM", "bse-ops", "plain", None, "XNYS", "NOPE"],
            {"bse-ops": extended, "plain": rule_based},
            NOW,
        )
    }
    assert list(report) == ["XNYS", "XBOM", "bse-ops", "plain", "NOPE"]
    assert report["XNYS"].ok and report["XNYS"].days_left is not None and report["XNYS"].days_left > 700
    xbom = report["XBOM"]
    assert not xbom.ok and xbom.last_day == date(2026, 12, 31) and xbom.days_left == 38
    assert not report["bse-ops"].ok
    assert report["plain"].ok and report["plain"].last_day is None
    assert not report["NOPE"].ok and "unknown calendar" in (report["NOPE"].detail or "")
    assert all(s.ok for s in horizon_report(["XBOM"], {}, NOW, min_days=30))
