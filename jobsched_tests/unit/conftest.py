"""Calendars for the pure timing tests, built with an explicit `now` (never the clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobsched.domain.calendars import BusinessCalendar, resolve_calendar

TIMING_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def exchange(code: str) -> BusinessCalendar:
    calendar = resolve_calendar(code, {}, TIMING_NOW)
    assert calendar is not None
    return calendar


@pytest.fixture(scope="session")
def xnys() -> BusinessCalendar:
    return exchange("XNYS")


@pytest.fixture(scope="session")
def xlon() -> BusinessCalendar:
    return exchange("XLON")


@pytest.fixture(scope="session")
def xbom() -> BusinessCalendar:
    return exchange("XBOM")
