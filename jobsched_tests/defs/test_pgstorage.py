"""The pooled Postgres instance storage of deploy/dagster.yaml, on the local Postgres server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance, DagsterRun, RunsFilter

from jobsched.defs.pgstorage import PooledRunStorage, storage_config
from jobsched_tests.conftest import PG_ADMIN_URL, create_database, drop_database, require_postgres

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[DagsterInstance, str]]:
    require_postgres()
    url = create_database("jobsched_dagster")
    dagster_url = url.replace("postgresql+psycopg2", "postgresql")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"storage": storage_config(dagster_url)}))
    created = DagsterInstance.from_config(str(tmp_path))
    yield created, url.rsplit("/", 1)[1]
    created.dispose()
    drop_database(url)


def _backends(database: str) -> int:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": database}
        ).scalar_one()
    admin.dispose()
    return int(count)


def _terminate_backends(database: str) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
            {"d": database},
        )
    admin.dispose()


def _connects(engine: sa.Engine) -> list[int]:
    opened: list[int] = []
    sa.event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def test_deploy_config_selects_the_pooled_storage() -> None:
    config = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    custom = config["storage"]["custom"]
    assert (custom["module"], custom["class"]) == ("jobsched.defs.pgstorage", "PooledPostgresStorage")
    assert set(custom["config"]["postgres_db"]) >= {"username", "password", "hostname", "db_name"}


def test_runs_are_read_and_written_over_kept_connections(instance: tuple[DagsterInstance, str]) -> None:
    dagster, _ = instance
    run_storage = dagster.run_storage
    assert isinstance(run_storage, PooledRunStorage)
    opened = _connects(run_storage._engine)
    for i in range(40):
        run = dagster.add_run(DagsterRun(job_name="demo_echo", run_id=f"run-{i:04d}", tags={"k": str(i)}))
        assert dagster.get_run_records(RunsFilter(tags={"k": str(i)}))[0].dagster_run.run_id == run.run_id
    # Dagster's stock Postgres storage opens a connection per call (80+ here) and reflects the runs
    # table's columns on every read; kept connections make it one.
    assert len(opened) == 1
    assert dagster.get_runs_count() == 40


def test_connections_killed_by_the_server_are_replaced(instance: tuple[DagsterInstance, str]) -> None:
    """A Postgres restart or failover ends every pooled connection: the next call must not fail."""
    dagster, database = instance
    dagster.add_run(DagsterRun(job_name="demo_echo", run_id="before"))
    assert _backends(database) >= 1
    _terminate_backends(database)
    dagster.add_run(DagsterRun(job_name="demo_echo", run_id="after"))
    assert {r.run_id for r in dagster.get_runs()} == {"before", "after"}


def test_dispose_closes_the_pools(instance: tuple[DagsterInstance, str]) -> None:
    dagster, database = instance
    dagster.add_run(DagsterRun(job_name="demo_echo", run_id="one"))
    dagster.get_runs()
    assert _backends(database) >= 1
    dagster.dispose()
    # DagsterInstance.dispose leaves the schedule storage alone; it has its own dispose
    dagster.schedule_storage.dispose()  # type: ignore[union-attr]
    assert _backends(database) == 0
