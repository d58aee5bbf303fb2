"""Custom calendars with overrides, exchange calendars, job definitions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobsched_tests.api.conftest import AUTH, NYSE_CLOSE, add_job, ok, problem


def test_custom_calendar_with_overrides_drives_the_schedule(client: TestClient) -> None:
    created = ok(client.post("/calendars", json={"name": "ops-us", "base": "XNYS"}, headers=AUTH), 201)
    assert created["base"] == "XNYS" and created["overrides"] == []
    holiday = {"day": "2026-11-24", "kind": "holiday", "reason": "office move"}
    ok(client.post("/calendars/ops-us/overrides", json=holiday, headers=AUTH), 201)
    add_job(client)
    schedule = ok(client.post("/schedules", json=NYSE_CLOSE | {"calendar": "ops-us"}, headers=AUTH), 201)
    preview = ok(
        client.get(f"/schedules/{schedule['id']}/preview", params={"count": 1, "after": "2026-11-24"})
    )
    assert [(f["business_date"], f["skip"]) for f in preview["fires"]] == [
        ("2026-11-24", "holiday"),
        ("2026-11-25", None),
    ]

    override = client.get("/calendars/ops-us/overrides/2026-11-24")
    assert override.headers["ETag"] == '"1"'
    changed = client.patch(
        "/calendars/ops-us/overrides/2026-11-24",
        json={"kind": "session", "close_time": "13:00", "reason": "half day after the move"},
        headers=AUTH | {"If-Match": '"1"'},
    )
    assert ok(changed)["close_time"] == "13:00" and ok(changed)["version"] == 2
    preview = ok(
        client.get(f"/schedules/{schedule['id']}/preview", params={"count": 1, "after": "2026-11-24"})
    )
    assert preview["fires"][0]["skip"] is None

    in_use = client.delete("/calendars/ops-us", headers=AUTH | {"If-Match": '"1"'})
    assert in_use.status_code == 409 and "eod-prices-nyse" in in_use.json()["message"]
    ok(client.delete("/calendars/ops-us/overrides/2026-11-24", headers=AUTH | {"If-Match": '"2"'}), 204)
    assert ok(client.get("/calendars/ops-us"))["overrides"] == []


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ({"name": "XNYS"}, "name", "XNYS"),
        ({"name": "has space"}, "name", "has space"),
        ({"name": "c", "base": "NOPE"}, "base", "NOPE"),
        ({"name": "c", "weekmask": "1111"}, "weekmask", "1111"),
        ({"name": "c", "timezone": "Europe/Atlantis"}, "timezone", "Europe/Atlantis"),
        ({"name": "c", "open_time": "9am"}, "open_time", "9am"),
    ],
)
def test_bad_calendar(sqlite_client: TestClient, body: dict, field: str, value: Any) -> None:
    found = problem(sqlite_client.post("/calendars", json=body, headers=AUTH))
    assert (found["field"], found["value"]) == (field, value)


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        (
            {"day": "2026-12-24", "kind": "holiday", "reason": "x", "close_time": "13:00"},
            "close_time",
            "13:00",
        ),
        ({"day": "2026-12-24", "kind": "closed", "reason": "x"}, "kind", "closed"),
        ({"day": "2026-12-24", "kind": "holiday", "reason": ""}, "reason", ""),
        ({"day": "2026-13-40", "kind": "holiday", "reason": "x"}, "day", "2026-13-40"),
        ({"day": "2026-12-24", "kind": "session", "reason": "x", "open_time": "24:00"}, "open_time", "24:00"),
    ],
)
def test_bad_override(sqlite_client: TestClient, body: dict, field: str, value: Any) -> None:
    ok(sqlite_client.post("/calendars", json={"name": "ops"}, headers=AUTH), 201)
    found = problem(sqlite_client.post("/calendars/ops/overrides", json=body, headers=AUTH))
    assert (found["field"], found["value"]) == (field, value)
    assert ok(sqlite_client.get("/calendars/ops"))["overrides"] == []


def test_duplicate_override_day(client: TestClient) -> None:
    ok(client.post("/calendars", json={"name": "ops"}, headers=AUTH), 201)
    body = {"day": "2026-12-24", "kind": "holiday", "reason": "x"}
    ok(client.post("/calendars/ops/overrides", json=body, headers=AUTH), 201)
    assert client.post("/calendars/ops/overrides", json=body, headers=AUTH).status_code == 409


def test_exchange_calendars(client: TestClient) -> None:
    codes = ok(client.get("/calendars/exchanges"))
    assert {"XNYS", "XLON", "XBOM"} <= set(codes)
    xbom = ok(client.get("/calendars/exchanges/XBOM"))
    assert xbom["timezone"] == "Asia/Kolkata" and xbom["last_day"] == "2026-12-31"
    assert client.get("/calendars/exchanges/NOPE").status_code == 404
    assert client.patch("/calendars/XNYS", json={"weekmask": "1111111"}, headers=AUTH).status_code == 409


def test_job_definitions(client: TestClient) -> None:
    job = add_job(client, "fx", description="ECB rates")
    assert job["params"] == {"message": "hello"} and job["schedules"] == []
    adapters = ok(client.get("/adapters"))
    assert "demo_echo" in [a["key"] for a in adapters]
    ok(client.post("/schedules", json=NYSE_CLOSE | {"job_key": "fx"}, headers=AUTH), 201)
    assert ok(client.get("/jobs/fx"))["schedules"] == ["eod-prices-nyse"]

    bad = problem(client.patch("/jobs/fx", json={"params": {"message": ["x"]}, "version": 1}, headers=AUTH))
    assert bad["field"] == "params.message"
    changed = ok(client.patch("/jobs/fx", json={"enabled": False}, headers=AUTH | {"If-Match": '"1"'}))
    assert changed["enabled"] is False and changed["params"] == {"message": "hello"}
    assert client.patch("/jobs/fx", json={"job_key": "fx2", "version": 2}, headers=AUTH).status_code == 409
    in_use = client.delete("/jobs/fx", headers=AUTH | {"If-Match": '"2"'})
    assert in_use.status_code == 409 and "eod-prices-nyse" in in_use.json()["message"]
    assert (
        client.post("/jobs", json={"job_key": "fx", "adapter": "demo_echo"}, headers=AUTH).status_code == 409
    )
