"""A tick's work follows what is due or changed: idle rows cost no writes, edits (SQL included), calendar
and override edits and extended calendar data are noticed, batched claims stay exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from jobsched import engine as engine_mod
from jobsched.domain import calendars
from jobsched.domain.model import FireStatus
from jobsched.engine import TickResult, tick
from jobsched.store import ledger, state
from jobsched.store.schema import schedule_state
from jobsched.utc import utc_now


class NoRuns:
    def run_id_for_key(self, run_key: str) -> str | None:
        return None

    def has_active_run(self, job_key: str) -> bool:
        return False


RUNS = NoRuns()


def _now() -> datetime:
    # planning starts at each row's updated_at (real time), so ticks run at real minutes from here
    return utc_now().replace(second=0, microsecond=0) + timedelta(minutes=1)


def add_schedules(
    db: sa.Engine, count: int, cron: str, calendar: str | None = None, prefix: str = "s"
) -> None:
    with db.begin() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM job_definitions")).scalar_one() == 0:
            conn.execute(
                sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('demo', 'demo_echo')")
            )
        conn.execute(
            sa.text("INSERT INTO schedules (name, job_key, cron, calendar) VALUES (:n, 'demo', :c, :cal)"),
            [{"n": f"{prefix}{i}", "c": cron, "cal": calendar} for i in range(count)],
        )


@contextmanager
def writes(db: sa.Engine) -> Iterator[list[str]]:
    """Every INSERT/UPDATE/DELETE the engine sends while the block runs."""
    seen: list[str] = []

    def listener(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(db, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db, "before_cursor_execute", listener)


def state_of(db: sa.Engine, name: str) -> sa.RowMapping:
    with db.connect() as conn:
        return (
            conn.execute(
                sa.select(schedule_state).where(
                    schedule_state.c.schedule_id == sa.text("(SELECT id FROM schedules WHERE name = :n)")
                ),
                {"n": name},
            )
            .mappings()
            .one()
        )


def test_idle_schedules_cost_no_writes_and_are_not_read(db: sa.Engine) -> None:
    add_schedules(db, 200, "0 3 1 1 *")  # once a year: nothing due for months
    now = _now()
    first = tick(db, now, RUNS)
    assert not first.requests and not first.errors
    with writes(db) as seen:
        second = tick(db, now + timedelta(seconds=5), RUNS)
    assert not second.requests
    # only the engine's own heartbeat row is written; not one statement for the 200 idle schedules
    assert len(seen) == 1 and "engine_ticks" in seen[0], seen
    assert second.next_run_at is not None and second.next_run_at.month == 1


def test_sql_edit_is_noticed_and_applies_next_tick_without_replay(db: sa.Engine) -> None:
    add_schedules(db, 3, "0 3 1 1 *")
    now = _now()
    tick(db, now, RUNS)
    before = state_of(db, "s1")
    with db.begin() as conn:  # an operator's edit by SQL: the trigger bumps version and updated_at
        conn.execute(sa.text("UPDATE schedules SET cron = '* * * * *' WHERE name = 's1'"))
    result = tick(db, now + timedelta(minutes=1, seconds=1), RUNS)
    after = state_of(db, "s1")
    assert after["seen_version"] == before["seen_version"] + 1
    # fires from the last tick on; nothing from before the edit is replayed
    assert [(r.schedule_name, r.fire_at) for r in result.requests] == [("s1", now + timedelta(minutes=1))]


def test_override_edit_replans_the_calendar_s_schedules(db: sa.Engine) -> None:
    now = _now()
    tomorrow = (now + timedelta(days=1)).date()
    with db.begin() as conn:
        conn.execute(sa.text("INSERT INTO calendars (name, weekmask) VALUES ('desk', '1111111')"))
    add_schedules(db, 2, f"{now.minute} {now.hour} * * *", calendar="desk")
    tick(db, now - timedelta(seconds=30), RUNS)
    planned = state_of(db, "s0")
    assert planned["next_due_at"] is not None
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO calendar_overrides (calendar_id, day, kind, reason) "
                "SELECT id, :d, 'holiday', 'desk closed' FROM calendars WHERE name = 'desk'"
            ),
            {"d": tomorrow},
        )
    with db.connect() as conn:
        ids = state.ids_needing_plan(conn, now - timedelta(seconds=20), *_fingerprints(conn, now))
    assert len(ids) == 2  # the override changed the calendar's fingerprint: both rows are re-planned
    tick(db, now - timedelta(seconds=20), RUNS)
    assert state_of(db, "s0")["calendar_fp"] != planned["calendar_fp"]


def _fingerprints(conn: sa.Connection, now: datetime) -> tuple[list[str], list[str]]:
    snapshot, _ = engine_mod.load_tick_snapshot(conn, now)
    return list(snapshot.calendar_fps.values()), list(snapshot.job_fps.values())


def test_schedule_parked_on_calendar_horizon_fires_once_data_is_extended(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = _now()
    real_window = calendars.exchange_window

    def ended_yesterday(code: str, at: datetime):  # type: ignore[no-untyped-def]
        first, _ = real_window(code, at)
        return first, (now - timedelta(days=2)).date()

    monkeypatch.setattr(calendars, "exchange_window", ended_yesterday)
    add_schedules(db, 1, "* * * * *", calendar="XNYS")
    add_schedules(db, 1, "* * * * *", calendar=None, prefix="plain")
    parked = tick(db, now + timedelta(minutes=1), RUNS)
    assert ("s0", "calendar_horizon") in parked.skipped
    assert {r.schedule_name for r in parked.requests} == {"plain0"}
    old_fp = state_of(db, "s0")["calendar_fp"]
    monkeypatch.setattr(calendars, "exchange_window", real_window)  # a newer release extends the data
    with db.connect() as conn:
        snapshot, _ = engine_mod.load_tick_snapshot(conn, now + timedelta(minutes=1, seconds=1))
    assert [row["name"] for row in snapshot.schedule_rows] == ["s0"]  # re-planned though nothing is due
    tick(db, now + timedelta(minutes=1, seconds=1), RUNS)
    assert state_of(db, "s0")["calendar_fp"] != old_fp
    weekday = (now + timedelta(minutes=2)).weekday() < 5
    later = tick(db, now + timedelta(minutes=2), RUNS)
    names = [r.schedule_name for r in later.requests]
    if weekday:  # XNYS: a weekday is a session day unless a holiday; either way no horizon skip any more
        assert "s0" in names or ("s0", "holiday") in later.skipped
    assert ("s0", "calendar_horizon") not in later.skipped


def test_transient_error_abandons_the_tick_and_loses_nothing(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_schedules(db, 2, "* * * * *")
    now = _now()
    tick(db, now, RUNS)
    real = ledger.claim_fires

    def blip(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(ledger, "claim_fires", blip)
    with pytest.raises(OperationalError):
        tick(db, now + timedelta(minutes=1), RUNS)
    assert state_of(db, "s0")["error"] is None
    monkeypatch.setattr(ledger, "claim_fires", real)
    result = tick(db, now + timedelta(minutes=1, seconds=5), RUNS)
    assert sorted(r.schedule_name for r in result.requests) == ["s0", "s1"]


def test_quarantine_is_reported_once_and_recovery_once(db: sa.Engine) -> None:
    add_schedules(db, 1, "* * * * *")
    now = _now()
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET timezone = 'Mars/Base' WHERE name = 's0'"))
    first = tick(db, now, RUNS)
    second = tick(db, now + timedelta(seconds=5), RUNS)
    assert "s0" in first.quarantined and "timezone" in first.quarantined["s0"]
    assert "s0" in second.errors and not second.quarantined
    assert "quarantined 1: s0" in second.text()
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET timezone = 'UTC' WHERE name = 's0'"))
    fixed = tick(db, now + timedelta(seconds=10), RUNS)
    assert fixed.recovered == ["s0"] and not fixed.errors


def test_tick_text_is_bounded() -> None:
    result = TickResult(skipped=[(f"row{i}", "holiday") for i in range(500)])
    text = result.text(limit=5)
    assert text.startswith("skipped 500: row0 (holiday)") and text.endswith("and 495 more")


def test_two_concurrent_ticks_claim_each_fire_exactly_once(pg_url: str) -> None:
    db = sa.create_engine(pg_url, pool_size=4)
    try:
        add_schedules(db, 300, "* * * * *")
        now = _now()
        tick(db, now, RUNS)
        results: list[TickResult] = []
        barrier = threading.Barrier(2)

        def run() -> None:
            barrier.wait()
            results.append(tick(db, now + timedelta(minutes=1), RUNS))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        keys = [r.run_key for result in results for r in result.requests]
        assert len(keys) == 300 and len(set(keys)) == 300
        with db.connect() as conn:
            claimed = conn.execute(
                sa.text("SELECT count(*) FROM fire_ledger WHERE status = :s AND fire_at = :f"),
                {"s": FireStatus.REQUESTED.value, "f": now + timedelta(minutes=1)},
            ).scalar_one()
        assert claimed == 300
    finally:
        db.dispose()


TINY_BUDGET = 1e-9  # any tick overruns it: it stops after its first chunk with requests


def _burst_keys(db: sa.Engine, at: datetime, budget: float | None) -> tuple[list[str], list[int]]:
    """Tick at `at` (with the budget), then continue without one until nothing is left, as the sensor does."""
    first = tick(db, at, RUNS, budget=budget)
    keys, deferred = [r.run_key for r in first.requests], [first.deferred]
    while deferred[-1]:
        more = tick(db, at + timedelta(seconds=len(deferred)), RUNS)
        keys += [r.run_key for r in more.requests]
        deferred.append(more.deferred)
    return keys, deferred


def test_budget_leaves_the_rest_of_a_burst_to_the_next_tick_and_each_fire_runs_once(db: sa.Engine) -> None:
    add_schedules(db, 300, "* * * * *")
    now = _now()
    tick(db, now, RUNS)
    burst = now + timedelta(minutes=1)
    first = tick(db, burst, RUNS, budget=TINY_BUDGET)
    assert len(first.requests) == engine_mod.BURST_CHUNK and first.deferred == 300 - engine_mod.BURST_CHUNK
    assert f"{first.deferred} due schedules left to the next tick" in first.text()
    rest = tick(db, burst + timedelta(seconds=2), RUNS)  # the continuation has no budget: all of the rest
    assert rest.deferred == 0 and len(rest.requests) == first.deferred
    keys = [r.run_key for r in first.requests + rest.requests]
    assert len(set(keys)) == 300
    assert {r.fire_at for r in first.requests + rest.requests} == {burst}
    assert not tick(db, burst + timedelta(seconds=4), RUNS).requests
    with db.connect() as conn:
        due = conn.execute(sa.select(sa.func.min(schedule_state.c.next_due_at))).scalar_one()
    assert due.replace(tzinfo=None) == (burst + timedelta(minutes=1)).replace(tzinfo=None)


def test_budget_never_defers_rows_planned_by_the_instant(db: sa.Engine) -> None:
    """misfire_policy=skip and overlap_policy=skip rows, and edited rows, are planned in the first tick."""
    add_schedules(db, 120, "* * * * *")
    add_schedules(db, 60, "* * * * *", prefix="strict")
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET misfire_policy = 'skip' WHERE name LIKE 'strict%'"))
        conn.execute(sa.text("UPDATE schedules SET overlap_policy = 'skip' WHERE name = 'strict0'"))
    now = _now()
    tick(db, now, RUNS)
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET description = 'edited' WHERE name IN ('s5', 's7')"))
    first = tick(db, now + timedelta(minutes=1), RUNS, budget=TINY_BUDGET)
    names = {r.schedule_name for r in first.requests}
    assert {f"strict{i}" for i in range(60)} | {"s5", "s7"} <= names
    assert first.deferred == 180 - len(names) > 0


def test_budgeted_ticks_of_two_replicas_claim_each_fire_exactly_once(pg_url: str) -> None:
    db = sa.create_engine(pg_url, pool_size=4)
    try:
        add_schedules(db, 300, "* * * * *")
        now = _now()
        tick(db, now, RUNS)
        results: list[list[str]] = []
        barrier = threading.Barrier(2)

        def run() -> None:
            barrier.wait()
            results.append(_burst_keys(db, now + timedelta(minutes=1), TINY_BUDGET)[0])

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        keys = [key for keys in results for key in keys]
        assert len(results) == 2 and len(keys) == 300 and len(set(keys)) == 300
    finally:
        db.dispose()
