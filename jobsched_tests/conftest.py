"""Shared fixtures: fresh jobsched databases on SQLite and on the local PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobsched.store.db import engine_for
from jobsched.store.migrate import upgrade
from jobsched_tests.processes import MARKER, kill_marked, marked_processes

PG_ADMIN_URL = os.environ.get(
    "JOBSCHED_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
_counter = itertools.count()


def postgres_reachable() -> str | None:
    """None when the test server answers, else why not."""
    try:
        with sa.create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def require_postgres() -> None:
    problem = postgres_reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({problem})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(f"{message}; start it to run the Postgres tests")


def create_database(prefix: str) -> str:
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    engine_for(url).dispose()
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, migrated jobsched database on the local Postgres."""
    require_postgres()
    url = create_database("jobsched_test")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'jobsched.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on Postgres."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def db(db_url: str) -> sa.Engine:
    return engine_for(db_url)


# Processes: every child of this session carries JOBSCHED_TEST_SESSION; at the end none may be left alive.
def pytest_configure(config: pytest.Config) -> None:
    import uuid

    os.environ.setdefault(MARKER, uuid.uuid4().hex)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import time

    if hasattr(session.config, "workerinput"):
        return  # an xdist worker; the controller checks once for all
    session_id = os.environ[MARKER]
    deadline = time.monotonic() + 15  # processes told to stop may still be shutting down
    left = marked_processes(session_id)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = marked_processes(session_id)
    if not left:
        return
    kill_marked(session_id)
    lines = "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in sorted(left.items()))
    print(f"\nFAILED: {len(left)} process(es) this test session started were still alive (killed):\n{lines}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
