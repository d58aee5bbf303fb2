"""Requests that would burn CPU answer 4xx within a second of CPU. Measured as this process's CPU time
(the app runs in-process), not wall time: a loaded machine slows the request down but does not add CPU."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobsched_tests.api.conftest import AUTH, ok

# CPU budgets are asserted here (and enforced by the API): coverage tracing (make test) would eat into them
pytestmark = pytest.mark.no_cover

CPU_LIMIT = 1.0
NEVER_OPEN = {"name": "never", "weekmask": "0000000"}
MINUTELY_MOVED = {"cron": "* * * * *", "calendar": "never", "holiday_rule": "next"}


@pytest.fixture
def burner(sqlite_client: TestClient) -> dict[str, Any]:
    ok(sqlite_client.post("/calendars", json=NEVER_OPEN, headers=AUTH), 201)
    ok(sqlite_client.post("/jobs", json={"job_key": "j", "adapter": "demo_echo"}, headers=AUTH), 201)
    made = {}
    for name, fields in (
        ("moved", MINUTELY_MOVED),
        ("minutely", {"cron": "* * * * *"}),
        ("hourly", {"cron": "0 * * * *"}),
    ):
        body = {"name": name, "job_key": "j", **fields}
        made[name] = ok(sqlite_client.post("/schedules", json=body, headers=AUTH), 201)
    return made


def _cpu(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.process_time()
    response = call()
    return response, time.process_time() - started


def test_costly_requests_answer_4xx_within_a_second_of_cpu(
    sqlite_client: TestClient, burner: dict[str, Any]
) -> None:
    moved, minutely = burner["moved"]["id"], burner["minutely"]["id"]
    backfill = {"start": "2025-11-01", "end": "2026-10-01", "dry_run": True}
    cases = {
        "draft preview, anonymous": lambda: sqlite_client.post(
            "/schedules/preview?count=500", json=MINUTELY_MOVED
        ),
        "saved preview": lambda: sqlite_client.get(f"/schedules/{moved}/preview?count=500"),
        "calendar view": lambda: sqlite_client.get(f"/schedules/{moved}/calendar?months=12"),
        "backfill of 11 months, minutely": lambda: sqlite_client.post(
            f"/schedules/{minutely}/backfill", json=backfill, headers=AUTH
        ),
    }
    for what, call in cases.items():
        call()  # warm up (imports, calendar caches): the cap is about the request's own work
        response, cpu = _cpu(call)
        assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:300])
        assert response.status_code != 404
        assert cpu < CPU_LIMIT, f"{what}: {cpu:.2f} s of CPU"
        if response.headers["content-type"].startswith("application/json"):
            assert response.json()["error"] in ("too_costly", "invalid"), response.text[:300]


def test_cheap_requests_are_not_refused(sqlite_client: TestClient, burner: dict[str, Any]) -> None:
    minutely, hourly = burner["minutely"]["id"], burner["hourly"]["id"]
    assert len(ok(sqlite_client.get(f"/schedules/{minutely}/preview?count=500"))["fires"]) == 500
    week = {"start": "2026-01-05", "end": "2026-01-11", "dry_run": True}
    backfill = ok(sqlite_client.post(f"/schedules/{hourly}/backfill", json=week, headers=AUTH), 202)
    assert len(backfill["queued"]) == 7 * 24
    page = sqlite_client.get(f"/schedules/{hourly}/calendar?months=12")
    assert page.status_code == 200 and "too_costly" not in page.text
