"""The real API app on a migrated SQLite file and on a Postgres database of its own (one per session, emptied
before each test). Postgres unreachable: skip, but fail under CI=true."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobsched.api.app import create_app
from jobsched.api.auth import AuthSettings
from jobsched.store.db import engine_for
from jobsched.store.migrate import upgrade
from jobsched_tests.conftest import create_database, drop_database, require_postgres

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TABLES = (
    "calendar_overrides",
    "calendars",
    "schedules",
    "job_definitions",
    "fire_ledger",
    "schedule_state",
    "engine_ticks",
)


@pytest.fixture(scope="session")
def sqlite_api_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'jobsched.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_api_url() -> Iterator[str]:
    require_postgres()
    url = create_database("jobsched_api")
    upgrade(url)
    yield url
    drop_database(url)


def empty(url: str) -> str:
    with engine_for(url).begin() as conn:
        for table in TABLES:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def api_url(request: pytest.FixtureRequest) -> str:
    """Runs the test on SQLite and on Postgres."""
    name = "sqlite_api_url" if request.param == "sqlite" else "postgres_api_url"
    return empty(request.getfixturevalue(name))


@pytest.fixture
def sqlite_url_only(sqlite_api_url: str) -> str:
    """For tests whose subject does not depend on the database (input validation, rendering)."""
    return empty(sqlite_api_url)


def make_client(url: str, token: str | None = TOKEN, open_reads: bool = True) -> TestClient:
    return TestClient(create_app(url, auth=AuthSettings(token, open_reads)))


@pytest.fixture
def client(api_url: str) -> Iterator[TestClient]:
    with make_client(api_url) as test_client:
        yield test_client


@pytest.fixture
def sqlite_client(sqlite_url_only: str) -> Iterator[TestClient]:
    with make_client(sqlite_url_only) as test_client:
        yield test_client


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def add_job(client: TestClient, job_key: str = "eod_prices_job", **fields: Any) -> dict[str, Any]:
    body = {"job_key": job_key, "adapter": "demo_echo", "params": {"message": "hello"}} | fields
    return ok(client.post("/jobs", json=body, headers=AUTH), 201)


NYSE_CLOSE = {
    "name": "eod-prices-nyse",
    "job_key": "eod_prices_job",
    "cron": "30 16 * * 1-5",
    "timezone": "America/New_York",
    "calendar": "XNYS",
}


def add_schedule(client: TestClient, **fields: Any) -> dict[str, Any]:
    return ok(client.post("/schedules", json=NYSE_CLOSE | fields, headers=AUTH), 201)


@pytest.fixture
def nyse(client: TestClient) -> dict[str, Any]:
    """A job definition and the README's example schedule: 16:30 New York on NYSE trading days."""
    add_job(client)
    return add_schedule(client)


def problem(response: Any, status: int = 422) -> dict[str, Any]:
    """The first problem of an error answer, after checking the error body's shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "problems"}, body
    assert body["problems"], body
    return body["problems"][0]


def tmp_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'jobsched.db'}"
    upgrade(url)
    return url


@pytest.fixture
def sqlite_nyse(sqlite_client: TestClient) -> dict[str, Any]:
    add_job(sqlite_client)
    return add_schedule(sqlite_client)
