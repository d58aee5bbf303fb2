"""housekeeping: purges finished ledger entries and old adapter snapshots in bounded batches, never a fire
that is still waiting or running, and reports what it did; on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsched.adapters import InvalidParams, get_adapter, validate_params
from jobsched.adapters.base import RunContext
from jobsched.adapters.errors import AdapterError
from jobsched.adapters.housekeeping import housekeeping_log
from jobsched.adapters.instrument_master import instruments
from jobsched.adapters.runner import run_adapter
from jobsched.adapters.seed_examples import EXAMPLE_JOB_DEFINITIONS, EXAMPLE_SCHEDULES
from jobsched.adapters.warehouse import ensure_table
from jobsched.defs.jobs import build_assets, build_jobs, run_config
from jobsched.defs.resources import JobschedDatabase, Warehouse
from jobsched.store.db import engine_for
from jobsched.store.schema import fire_ledger

BD = date(2026, 11, 20)
ROWS_PER_SLICE = 25


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str) -> None:
        self.lines.append(msg)

    def warning(self, msg: str) -> None:
        self.lines.append(msg)


def add_fire(conn: sa.Connection, schedule_id: int, due: datetime, status: str) -> None:
    reason = "holiday" if status == "skipped" else None
    values = {"schedule_id": schedule_id, "fire_at": due, "due_at": due, "status": status, "reason": reason}
    conn.execute(fire_ledger.insert(), values)


def add_snapshot(engine: sa.Engine, job_key: str, business_date: date) -> None:
    ensure_table(engine, instruments)
    rows = [
        {
            "job_key": job_key,
            "business_date": business_date,
            "instrument_id": f"I{i:05d}",
            "isin": "US0000000001",
            "symbol": f"S{i}",
            "name": "n",
            "asset_class": "EQUITY",
            "mic": "XNYS",
            "currency": "USD",
            "lot_size": 1,
            "tick_size": 0.01,
            "listing_date": None,
            "status": "ACTIVE",
            "run_id": "r",
            "loaded_at": datetime.now(UTC),
        }
        for i in range(ROWS_PER_SLICE)
    ]
    with engine.begin() as conn:
        conn.execute(instruments.insert(), rows)


def run(engine: sa.Engine, **params: object):  # type: ignore[no-untyped-def]
    adapter = get_adapter("housekeeping")
    ctx = RunContext(
        job_key="housekeeping",
        business_date=BD,
        run_id="hk-1",
        warehouse=engine,
        log=Log(),
        jobsched_db=engine,
    )
    return run_adapter(adapter, ctx, validate_params("housekeeping", params)), ctx.log


def scalar(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_purges_old_finished_fires_and_snapshots_in_batches(db_url: str) -> None:
    engine = engine_for(db_url)
    midnight = datetime(BD.year, BD.month, BD.day, tzinfo=UTC)
    with engine.begin() as conn:
        for day in range(1, 21):
            for minute, status in enumerate(("success", "failure", "skipped", "canceled"), start=1):
                add_fire(conn, 1, midnight - timedelta(days=day, minutes=minute), status)
        for hour, status in enumerate(("pending", "requested", "running")):  # old, unfinished: kept
            add_fire(conn, 2, midnight - timedelta(days=400, hours=hour), status)
    for days_back in (1, 5, 6, 40):
        add_snapshot(engine, "instrument_master_daily", BD - timedelta(days=days_back))
    add_snapshot(engine, "instrument_master_weekly", BD - timedelta(days=40))

    report, log = run(engine, ledger_days=10, snapshot_days=5, batch_rows=7)

    # due before BD - 10 days (00:00 UTC): days 10..20 back, 4 fires each
    assert scalar(engine, "SELECT count(*) FROM fire_ledger") == 80 + 3 - 44
    assert scalar(engine, "SELECT count(*) FROM fire_ledger WHERE schedule_id = 2") == 3
    assert (
        scalar(engine, f"SELECT count(*) FROM instruments WHERE business_date < '{BD - timedelta(days=5)}'")
        == 0
    )
    assert scalar(engine, "SELECT count(*) FROM instruments") == 2 * ROWS_PER_SLICE  # days 1 and 5 kept
    with engine.connect() as conn:
        logged = {
            r.target: r
            for r in conn.execute(sa.select(housekeeping_log).where(housekeeping_log.c.business_date == BD))
        }
    assert logged["fire_ledger"].rows_purged == 44 and logged["fire_ledger"].batches == 7  # 7*6 + 2
    assert logged["instruments"].rows_purged == 3 * ROWS_PER_SLICE
    assert logged["instruments"].batches == 3 * 4  # 25 rows per slice: 7+7+7+4
    assert str(logged["instruments"].cutoff) == str(BD - timedelta(days=5))
    assert report.rows_loaded == 2 and report.table == "housekeeping_log"
    assert any("fire_ledger: purged 44 rows" in line for line in log.lines)

    again, _ = run(engine, ledger_days=10, snapshot_days=5, batch_rows=7)
    with engine.connect() as conn:
        purged = conn.execute(sa.select(sa.func.sum(housekeeping_log.c.rows_purged))).scalar_one()
    assert purged == 0 and again.rows_loaded == 2  # the same slice, replaced: nothing left to purge


def test_a_snapshot_table_never_created_is_nothing_to_purge(db_url: str) -> None:
    report, _ = run(engine_for(db_url), snapshot_tables=["instruments"])
    assert report.rows_loaded == 2


def test_the_ledger_purged_is_the_runs_jobsched_database_not_one_of_its_own(
    instance: dg.DagsterInstance,
    jobsched_db: sa.Engine,
    warehouse: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through Dagster: the step hands the adapter the `jobsched_db` resource's engine (RunContext), and the
    adapter opens no connection of its own (the settings here name another, empty database)."""
    midnight = datetime(BD.year, BD.month, BD.day, tzinfo=UTC)
    with jobsched_db.begin() as conn:
        add_fire(conn, 1, midnight - timedelta(days=30), "success")
        add_fire(conn, 1, midnight - timedelta(days=1), "success")
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    resources = {"jobsched_db": JobschedDatabase(url=str(jobsched_db.url)), "warehouse": Warehouse()}
    defs = dg.Definitions(assets=build_assets(), jobs=build_jobs(), resources=resources)
    config = run_config("housekeeping", "housekeeping", BD, {"ledger_days": 10, "snapshot_tables": []})
    result = defs.resolve_job_def("housekeeping").execute_in_process(run_config=config, instance=instance)
    assert result.success
    assert scalar(jobsched_db, "SELECT count(*) FROM fire_ledger") == 1


def test_without_the_runs_jobsched_database_it_fails_saying_so(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    ctx = RunContext(job_key="housekeeping", business_date=BD, run_id="hk-1", warehouse=engine, log=Log())
    with pytest.raises(AdapterError, match="no jobsched database"):
        run_adapter(get_adapter("housekeeping"), ctx, validate_params("housekeeping", {}))


def test_bad_params_name_field_and_value() -> None:
    with pytest.raises(InvalidParams, match=r"snapshot_tables.*'schedules' is not an adapter snapshot table"):
        validate_params("housekeeping", {"snapshot_tables": ["schedules"]})
    with pytest.raises(InvalidParams, match=r"batch_rows=0"):
        validate_params("housekeeping", {"batch_rows": 0})


def test_seeded_daily_by_a_jobsched_row() -> None:
    (job,) = [j for j in EXAMPLE_JOB_DEFINITIONS if j["adapter"] == "housekeeping"]
    validate_params("housekeeping", job["params"])
    (schedule,) = [s for s in EXAMPLE_SCHEDULES if s["job_key"] == job["job_key"]]
    assert schedule["cron"] == "30 2 * * *"
