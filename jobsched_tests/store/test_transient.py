"""A database that blips is not a bad row: the tick is abandoned, nothing quarantined, no fire lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from jobsched import engine as jobsched_engine
from jobsched.outage import OutageLog
from jobsched.store.db import engine_for
from jobsched.store.transient import is_transient
from jobsched_tests.conftest import PG_ADMIN_URL

NOW = datetime(2026, 11, 23, 14, 30, 20, tzinfo=UTC)
FIRE = NOW.replace(second=0)


class NoRuns:
    def run_id_for_key(self, run_key: str) -> str | None:
        return None

    def has_active_run(self, job_key: str) -> bool:
        return False


def add_minutely(db: sa.Engine) -> int:
    with db.begin() as conn:
        conn.execute(sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('j', 'demo_echo')"))
        conn.execute(
            sa.text("INSERT INTO schedules (name, job_key, cron) VALUES ('every-minute', 'j', '* * * * *')")
        )
        schedule_id = conn.execute(sa.text("SELECT id FROM schedules")).scalar_one()
        conn.execute(
            sa.text("INSERT INTO schedule_state (schedule_id, watermark, seen_version) VALUES (:s, :w, 1)"),
            {"s": schedule_id, "w": FIRE - timedelta(seconds=30)},
        )
    return schedule_id


@contextmanager
def ledger_insert_fails_once(db: sa.Engine) -> Iterator[list[str]]:
    """The first INSERT into fire_ledger loses its connection: on Postgres the server really terminates
    the backend under it; on SQLite the driver's 'database is locked' is raised (as a busy writer does)."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if seen or "INSERT INTO fire_ledger" not in statement:
            return
        seen.append(statement)
        if db.dialect.name == "postgresql":
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
            admin.dispose()
        else:
            raise sa.exc.OperationalError(
                statement, parameters, sqlite3.OperationalError("database is locked")
            )

    event.listen(db, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db, "before_cursor_execute", before)


def state_row(db: sa.Engine, schedule_id: int) -> tuple:
    with db.connect() as conn:
        return tuple(
            conn.execute(
                sa.text("SELECT watermark, error FROM schedule_state WHERE schedule_id = :s"),
                {"s": schedule_id},
            ).one()
        )


def test_a_transient_error_on_the_claim_quarantines_nothing_and_the_next_tick_claims_the_fire(
    db: sa.Engine,
) -> None:
    schedule_id = add_minutely(db)
    before = state_row(db, schedule_id)
    with ledger_insert_fails_once(db) as seen, pytest.raises(sa.exc.DBAPIError) as raised:
        jobsched_engine.tick(db, NOW, NoRuns())
    assert seen and is_transient(raised.value), raised.value
    assert state_row(db, schedule_id) == before  # no quarantine, the watermark did not move
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM fire_ledger")).scalar_one() == 0

    result = jobsched_engine.tick(db, NOW + timedelta(seconds=5), NoRuns())
    assert [(r.schedule_id, r.fire_at) for r in result.requests] == [(schedule_id, FIRE)]
    assert not result.errors
    assert state_row(db, schedule_id)[1] is None


def test_a_bad_row_is_still_quarantined(db: sa.Engine) -> None:
    schedule_id = add_minutely(db)
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET cron = 'every minute please'"))
    result = jobsched_engine.tick(db, NOW, NoRuns())
    assert "cron" in result.errors["every-minute"]
    assert "every minute please" in (state_row(db, schedule_id)[1] or "")


def test_is_transient_on_real_driver_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    refused = engine_for("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    with pytest.raises(sa.exc.OperationalError) as caught:
        refused.connect()
    assert is_transient(caught.value)

    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    busy = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with pytest.raises(sa.exc.OperationalError) as locked, busy.connect() as conn:
        conn.execute(sa.text("SELECT * FROM t"))
    holder.close()
    busy.dispose()
    assert "locked" in str(locked.value) and is_transient(locked.value)

    assert is_transient(psycopg2.OperationalError("server closed the connection unexpectedly"))
    assert is_transient(ConnectionResetError(104, "Connection reset by peer"))
    assert not is_transient(sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed")))
    assert not is_transient(ValueError("cron='every minute please': not a cron expression"))
    assert not is_transient(
        sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    )


def test_an_outage_gives_a_few_lines_not_one_per_tick() -> None:
    log = OutageLog()
    log.ok(NOW, FIRE + timedelta(minutes=1))
    down = NOW + timedelta(seconds=5)
    error = psycopg2.OperationalError("connection refused")
    lines = [log.failed(down + timedelta(seconds=s), error) for s in range(0, 90, 2)]
    written = [line for line in lines if line]
    assert len(written) == 2, written  # the first failure and one reminder a minute later
    assert "unreachable since" in written[0] and (FIRE + timedelta(minutes=1)).isoformat() in written[0]
    back = log.ok(down + timedelta(seconds=95), None)
    assert back and "reachable again" in back and "after 95 s" in back
    assert log.ok(down + timedelta(seconds=96), None) is None


def test_the_outage_state_survives_a_new_code_server_process(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    first = OutageLog.persistent()
    first.ok(NOW, FIRE + timedelta(minutes=1))
    assert first.failed(NOW + timedelta(seconds=5), ConnectionRefusedError(111, "Connection refused"))
    second = OutageLog.persistent()  # the daemon replaced the code server
    assert second.failed(NOW + timedelta(seconds=10), ConnectionRefusedError(111, "refused")) is None
    back = second.ok(NOW + timedelta(seconds=65), None)
    assert back and "after 60 s" in back
