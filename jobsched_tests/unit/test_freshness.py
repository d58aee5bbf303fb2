"""domain/freshness.py: the deadline syntax and its calendar arithmetic (pure, explicit `now`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from jobsched.domain.calendars import BusinessCalendar
from jobsched.domain.freshness import deadline_on, latest_passed, parse_deadline

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "anchor", "minutes"),
    [
        ("close+2h", "close", 120),
        ("open+1h30m", "open", 90),
        ("close-30m", "close", -30),
        ("close", "close", 0),
    ],
)
def test_session_deadlines_parse(text: str, anchor: str, minutes: int) -> None:
    deadline = parse_deadline(text)
    assert deadline.anchor == anchor and deadline.offset.total_seconds() == minutes * 60


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "deadline='': empty"),
        ("noon", "deadline='noon': not a deadline; use 'close+2h'"),
        ("25:00", "deadline='25:00': not a deadline"),
        ("close+", "deadline='close+': an offset needs hours and/or minutes"),
        ("close+49h", "deadline='close+49h': offset more than 48h"),
    ],
)
def test_bad_deadlines_name_the_value(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("+", r"\+").replace("(", r"\(")):
        parse_deadline(text)


def test_close_plus_2h_uses_the_real_close_of_a_half_day(xnys: BusinessCalendar) -> None:
    # NYSE closes at 13:00 ET on 2026-11-27 (day after Thanksgiving), 16:00 ET the Monday after
    deadline = parse_deadline("close+2h")
    assert deadline_on(deadline, date(2026, 11, 27), xnys, NY) == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert deadline_on(deadline, date(2026, 11, 30), xnys, NY) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_a_holiday_or_weekend_has_no_deadline(xnys: BusinessCalendar) -> None:
    for text in ("close+2h", "18:30"):
        assert deadline_on(parse_deadline(text), date(2026, 11, 26), xnys, NY) is None  # Thanksgiving
        assert deadline_on(parse_deadline(text), date(2026, 11, 28), xnys, NY) is None  # Saturday


def test_local_time_deadline_in_the_schedule_zone(xnys: BusinessCalendar) -> None:
    due = deadline_on(parse_deadline("18:30"), date(2026, 11, 25), xnys, NY)
    assert due == datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    every_day = deadline_on(parse_deadline("18:30"), date(2026, 11, 28), None, NY)  # no calendar: every day
    assert every_day == datetime(2026, 11, 28, 23, 30, tzinfo=UTC)


def test_session_deadline_needs_a_calendar() -> None:
    with pytest.raises(
        ValueError, match="deadline='close\\+2h': session deadlines need a schedule with a calendar"
    ):
        deadline_on(parse_deadline("close+2h"), date(2026, 11, 25), None, NY)


def test_latest_passed_skips_the_holiday(xnys: BusinessCalendar) -> None:
    deadline = parse_deadline("close+2h")
    thanksgiving_evening = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 22:00 ET on 2026-11-26
    assert latest_passed(deadline, xnys, NY, thanksgiving_evening, None) == (
        date(2026, 11, 25),
        datetime(2026, 11, 25, 23, 0, tzinfo=UTC),
    )
    before_close = datetime(2026, 11, 25, 22, 59, tzinfo=UTC)
    assert latest_passed(deadline, xnys, NY, before_close, None)[0] == date(2026, 11, 24)  # type: ignore[index]
    created_after = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert latest_passed(deadline, xnys, NY, thanksgiving_evening, created_after) is None
