"""Fixtures for adapter tests: isolated jobsched + warehouse databases (SQLite and the local Postgres),
Dagster definitions, and the real sample-source server as a subprocess."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsched import settings
from jobsched.store.db import engine_for
from jobsched.store.migrate import upgrade
from jobsched_tests.adapters.sample_source import SampleSource
from jobsched_tests.adapters.servers import FaultProxy, S3Server, SftpServer

PG_ADMIN = os.environ.get("JOBSCHED_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def jobsched_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fresh jobsched database (migrated) and SQLite warehouse under tmp_path; fast Dagster retries."""
    monkeypatch.setenv("JOBSCHED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", f"sqlite:///{tmp_path / 'jobsched.db'}")
    monkeypatch.setenv("JOBSCHED_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    monkeypatch.setenv("JOBSCHED_ADAPTER_MAX_RETRIES", "2")
    monkeypatch.setenv("JOBSCHED_ADAPTER_RETRY_DELAY", "0.05")
    upgrade(settings.database_url())
    return tmp_path


@pytest.fixture
def jobsched_db(jobsched_env: Path) -> sa.Engine:
    return engine_for(settings.database_url())


@pytest.fixture
def warehouse(jobsched_env: Path) -> sa.Engine:
    return engine_for(settings.warehouse_url())


@pytest.fixture(scope="session")
def pg_warehouse_url() -> Iterator[str]:
    """A database of our own on the local Postgres for the whole session, dropped at the end."""
    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL at {PG_ADMIN} is not reachable: {str(exc.orig).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true requires it)", pytrace=False)
        pytest.skip(f"{message}; start it to run the Postgres adapter tests")
    name = f"jobsched_adapters_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    yield url
    engine_for(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_warehouse(
    request: pytest.FixtureRequest, jobsched_env: Path, monkeypatch: pytest.MonkeyPatch
) -> sa.Engine:
    """The warehouse on SQLite, then on Postgres (COPY path); JOBSCHED_WAREHOUSE_URL points at it."""
    if request.param == "postgres":
        monkeypatch.setenv("JOBSCHED_WAREHOUSE_URL", request.getfixturevalue("pg_warehouse_url"))
    return engine_for(settings.warehouse_url())


@pytest.fixture
def defs(jobsched_env: Path) -> dg.Definitions:
    """The adapter jobs and assets as jobsched's Definitions has them (built after the env is set)."""
    return build_defs()


def build_defs() -> dg.Definitions:
    """Jobs, assets, checks and resources as jobsched's Definitions has them, built from the current env."""
    from jobsched.defs.jobs import build_assets, build_checks, build_jobs
    from jobsched.defs.resources import build_resources

    return dg.Definitions(
        assets=build_assets(), asset_checks=build_checks(), jobs=build_jobs(), resources=build_resources()
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleSource]:
    server = SampleSource(tmp_path_factory.mktemp("samples-root"))
    yield server
    server.close()


@pytest.fixture
def src(samples: SampleSource) -> SampleSource:
    """The session's sample server with no faults, limits or overrides left by earlier tests."""
    samples.reset()
    return samples


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    server = SftpServer(tmp_path_factory.mktemp("sftp"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def sftp_proxy(sftp_server: SftpServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(sftp_server.port)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def s3_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(s3_server.port)
    try:
        yield proxy
    finally:
        proxy.close()
