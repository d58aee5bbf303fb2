"""jobsched's tables and Dagster's Postgres storage in ONE database, migrated in either order, re-run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from jobsched.store.migrate import VERSION_TABLE, upgrade
from jobsched.store.schema import metadata
from jobsched_tests.conftest import create_database, drop_database, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BIN = Path(sys.executable).parent


@pytest.fixture
def shared_url() -> Iterator[str]:
    require_postgres()
    url = create_database("jobsched_shared")
    yield url
    drop_database(url)


def dagster_migrate(home: Path, url: str, *, one_shot: bool = False) -> None:
    """`dagster instance migrate` (open the instance, upgrade it), or the deploy one-shot's Dagster part."""
    from dagster import DagsterInstance

    from jobsched.defs.storage import migrate_instance

    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump({"storage": {"postgres": {"postgres_url": url}}}))
    with DagsterInstance.from_config(str(home)) as instance:
        if one_shot:
            migrate_instance(instance)
        else:
            instance.upgrade()
        assert list(instance.get_runs()) == []  # run storage usable
        assert instance.schedule_storage.all_instigator_state() == []  # type: ignore[union-attr]


def one_shot(home: Path, url: str) -> str:
    """The deploy `migrate` one-shot command, as a process: both schemas."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump({"storage": {"postgres": {"postgres_url": url}}}))
    env = dict(os.environ, DAGSTER_HOME=str(home), JOBSCHED_DATABASE_URL=url)
    done = subprocess.run(
        [str(BIN / "jobsched"), "db", "upgrade", "--dagster"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def versions(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            return {
                table: sorted(conn.execute(sa.text(f"SELECT version_num FROM {table}")).scalars())
                for table in ("alembic_version", VERSION_TABLE)
                if table in tables
            }
    finally:
        engine.dispose()


def jobsched_head() -> str:
    from alembic.script import ScriptDirectory

    from jobsched.store.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()  # type: ignore[return-value]


def assert_both_present(url: str) -> None:
    found = versions(url)
    assert found[VERSION_TABLE] == [jobsched_head()]
    assert found["alembic_version"] and jobsched_head() not in found["alembic_version"]
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables
    assert {"runs", "event_logs", "jobs"} <= tables


def test_jobsched_first_then_dagster_then_both_again(shared_url: str, tmp_path: Path) -> None:
    """jobsched's `schedules` table hides Dagster's missing schedule tables from Dagster's own check; the
    one-shot creates them, after which plain `dagster instance migrate` and jobsched re-run cleanly."""
    upgrade(shared_url)
    dagster_migrate(tmp_path / "home", shared_url, one_shot=True)
    assert_both_present(shared_url)
    upgrade(shared_url)
    dagster_migrate(tmp_path / "home", shared_url)
    dagster_migrate(tmp_path / "home", shared_url, one_shot=True)
    assert_both_present(shared_url)


def test_the_one_shot_command_migrates_both_and_reruns(shared_url: str, tmp_path: Path) -> None:
    out = one_shot(tmp_path / "home", shared_url)
    assert "Dagster instance storage is up to date" in out and "database is up to date" in out
    assert_both_present(shared_url)
    one_shot(tmp_path / "home", shared_url)
    assert_both_present(shared_url)


def test_dagster_first_then_jobsched_then_both_again(shared_url: str, tmp_path: Path) -> None:
    dagster_migrate(tmp_path / "home", shared_url)
    upgrade(shared_url)
    assert_both_present(shared_url)
    dagster_migrate(tmp_path / "home", shared_url)
    upgrade(shared_url)
    assert_both_present(shared_url)


def legacy_version_table(url: str) -> None:
    """Put jobsched's revision where jobsched kept it before: Alembic's default `alembic_version`."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {VERSION_TABLE}"))
        conn.execute(
            sa.text(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": jobsched_head()})
    engine.dispose()
    assert versions(url) == {"alembic_version": [jobsched_head()]}


def test_a_database_migrated_into_alembic_version_is_carried_over(shared_url: str, tmp_path: Path) -> None:
    upgrade(shared_url)
    legacy_version_table(shared_url)
    upgrade(shared_url)
    assert versions(shared_url) == {VERSION_TABLE: [jobsched_head()]}
    dagster_migrate(tmp_path / "home", shared_url, one_shot=True)
    assert_both_present(shared_url)
    upgrade(shared_url)
    assert_both_present(shared_url)


def test_the_one_shot_repairs_a_database_where_dagster_failed_to_start(
    shared_url: str, tmp_path: Path
) -> None:
    """The issue's failure: jobsched's '0002' in `alembic_version` stops Dagster's storage half-created."""
    from alembic.util import CommandError
    from dagster import DagsterInstance

    upgrade(shared_url)
    legacy_version_table(shared_url)
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        yaml.safe_dump({"storage": {"postgres": {"postgres_url": shared_url}}})
    )
    with pytest.raises(CommandError, match="Can't locate revision identified by"):
        with DagsterInstance.from_config(str(home)) as instance:
            list(instance.get_runs())

    out = one_shot(home, shared_url)
    assert "created Dagster's schedule storage tables" in out
    assert_both_present(shared_url)
    dagster_migrate(home, shared_url)  # plain `dagster instance migrate` works from now on
    assert_both_present(shared_url)
