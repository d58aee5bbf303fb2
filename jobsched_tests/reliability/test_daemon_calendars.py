"""Session-relative rows and custom-calendar overrides edited while a real daemon runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobsched_tests.reliability.harness import Deployment, next_minute, sleep_until
from jobsched_tests.reliability.test_daemon import add_job, add_schedule, ledger

pytestmark = [pytest.mark.daemon, pytest.mark.slow, pytest.mark.postgres]


def hhmm(instant: datetime) -> str:
    return instant.strftime("%H:%M")


def test_session_close_row_follows_an_override_edited_while_the_daemon_runs(deployment: Deployment) -> None:
    d = deployment
    start = next_minute(datetime.now(UTC) + timedelta(seconds=40))
    if (start + timedelta(minutes=4)).date() != start.date():  # keep the whole test on one UTC date
        sleep_until(next_minute(start + timedelta(minutes=5)))
        start = next_minute(datetime.now(UTC) + timedelta(seconds=40))
    today = start.date()
    add_job(d, "demo_echo")
    # two base-less desk calendars, open every day; their regular close is start+3 min
    for name in ("desk", "desk_closing"):
        d.sql(
            "INSERT INTO calendars (name, base, weekmask, timezone, open_time, close_time)"
            " VALUES (:n, NULL, '1111111', 'UTC', '00:00', :close)",
            n=name,
            close=hhmm(start + timedelta(minutes=3)),
        )
    session = dict(kind="session", session_event="close", offset_minutes=-1, cron=None)
    moved = add_schedule(d, "one-minute-before-the-desk-close", "demo_echo", calendar="desk", **session)
    closed = add_schedule(d, "desk-that-closes-today", "demo_echo", calendar="desk_closing", **session)
    d.start_daemon()
    sleep_until(start + timedelta(seconds=5))
    assert not ledger(d, moved), "nothing is due before the close - 1 min"

    # live edits: the desk closes early today (an extra-session override), the other desk is closed today
    d.sql(
        "INSERT INTO calendar_overrides (calendar_id, day, kind, open_time, close_time, reason)"
        " SELECT id, :day, 'session', '00:00', :close, 'early close for the test' FROM calendars"
        " WHERE name = 'desk'",
        day=today,
        close=hhmm(start + timedelta(minutes=2)),
    )
    d.sql(
        "INSERT INTO calendar_overrides (calendar_id, day, kind, reason)"
        " SELECT id, :day, 'holiday', 'unexpected closure' FROM calendars WHERE name = 'desk_closing'",
        day=today,
    )
    early = start + timedelta(minutes=1)
    regular = start + timedelta(minutes=2)
    d.wait(
        lambda: [r for r in ledger(d, moved) if r.status == "success"],
        stall=240,
        what="the early-close fire",
    )
    sleep_until(regular + timedelta(seconds=15))
    fires = [(r.fire_at.astimezone(UTC), r.status) for r in ledger(d, moved)]
    assert fires == [(early, "success")], fires
    skips = [(r.fire_at.astimezone(UTC), r.status, r.reason, r.detail) for r in ledger(d, closed)]
    assert len(skips) == 1 and skips[0][:3] == (regular, "skipped", "holiday"), skips
    assert "unexpected closure" in (skips[0][3] or "")
