"""Schedule CRUD through the real app on SQLite and Postgres, with optimistic concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, NYSE_CLOSE, add_job, make_client, ok, problem


def test_create_read_update_delete(client: TestClient, nyse: dict[str, Any]) -> None:
    assert nyse["version"] == 1 and nyse["problem"] is None
    assert {k: nyse[k] for k in NYSE_CLOSE} == NYSE_CLOSE

    listed = ok(client.get("/schedules"))
    assert [s["name"] for s in listed] == ["eod-prices-nyse"]
    got = client.get(f"/schedules/{nyse['id']}")
    assert got.headers["ETag"] == '"1"'

    changed = client.patch(
        f"/schedules/{nyse['id']}", json={"cron": "0 17 * * 1-5"}, headers=AUTH | {"If-Match": '"1"'}
    )
    body = ok(changed)
    assert body["cron"] == "0 17 * * 1-5" and body["version"] == 2
    assert body["timezone"] == "America/New_York"  # untouched fields keep their values
    assert changed.headers["ETag"] == '"2"'

    ok(client.delete(f"/schedules/{nyse['id']}", headers=AUTH | {"If-Match": '"2"'}), 204)
    assert client.get(f"/schedules/{nyse['id']}").status_code == 404
    assert ok(client.get("/schedules")) == []


def test_stale_version_is_refused_never_overwritten(client: TestClient, nyse: dict[str, Any]) -> None:
    url = f"/schedules/{nyse['id']}"
    ok(client.patch(url, json={"description": "alice", "version": 1}, headers=AUTH))
    # Bob read version 1 too; his edit must not silently replace Alice's.
    stale_header = client.patch(url, json={"description": "bob"}, headers=AUTH | {"If-Match": '"1"'})
    assert stale_header.status_code == 412
    assert (
        "version 1" in stale_header.json()["message"] and "now at version 2" in stale_header.json()["message"]
    )
    stale_body = client.patch(url, json={"description": "bob", "version": 1}, headers=AUTH)
    assert stale_body.status_code == 409 and stale_body.json()["error"] == "version_mismatch"
    missing = client.patch(url, json={"description": "bob"}, headers=AUTH)
    assert missing.status_code == 428 and 'If-Match: "2"' in missing.json()["message"]
    assert ok(client.get(url))["description"] == "alice"
    assert client.delete(url, headers=AUTH | {"If-Match": '"1"'}).status_code == 412
    assert client.delete(url, headers=AUTH).status_code == 428


def test_concurrent_edits_with_the_same_version_one_wins(api_url: str) -> None:
    with make_client(api_url) as client:
        add_job(client)
        schedule = ok(client.post("/schedules", json=NYSE_CLOSE, headers=AUTH), 201)

    def edit(i: int) -> int:
        with make_client(api_url) as own:
            response = own.patch(
                f"/schedules/{schedule['id']}",
                json={"description": f"writer {i}"},
                headers=AUTH | {"If-Match": '"1"'},
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(edit, range(6)))
    assert sorted(statuses) == [200] + [412] * 5, statuses
    with engine_for(api_url).connect() as conn:
        version = conn.execute(sa.text("SELECT version FROM schedules")).scalar_one()
    assert version == 2


def test_if_match_star_and_bad_if_match(client: TestClient, nyse: dict[str, Any]) -> None:
    url = f"/schedules/{nyse['id']}"
    assert ok(client.patch(url, json={"max_catchup": 5}, headers=AUTH | {"If-Match": "*"}))["version"] == 2
    bad = problem(client.patch(url, json={"max_catchup": 6}, headers=AUTH | {"If-Match": "yesterday"}))
    assert bad["field"] == "If-Match" and bad["value"] == "yesterday"


def test_duplicate_name_is_a_conflict(client: TestClient, nyse: dict[str, Any]) -> None:
    again = client.post("/schedules", json=NYSE_CLOSE, headers=AUTH)
    assert again.status_code == 409
    assert "eod-prices-nyse" in again.json()["message"]


def test_exchange_alias_is_stored_as_its_code(client: TestClient) -> None:
    add_job(client)
    created = ok(client.post("/schedules", json=NYSE_CLOSE | {"calendar": "NYSE"}, headers=AUTH), 201)
    assert created["calendar"] == "XNYS"


def test_row_broken_by_sql_is_shown_with_its_problem(client: TestClient, api_url: str, nyse: dict) -> None:
    with engine_for(api_url).begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET cron = '61 * * * *' WHERE id = :id"), {"id": nyse["id"]})
    shown = ok(client.get(f"/schedules/{nyse['id']}"))
    assert shown["cron"] == "61 * * * *" and "cron='61 * * * *'" in shown["problem"]
    assert shown["version"] == 2  # the database trigger bumps it for SQL edits too
    # Fixing it through the API works (the row's own errors do not block a correcting edit).
    fixed = ok(
        client.patch(f"/schedules/{nyse['id']}", json={"cron": "30 16 * * 1-5", "version": 2}, headers=AUTH)
    )
    assert fixed["problem"] is None


def test_delete_refused_while_a_fire_is_running(client: TestClient, api_url: str, nyse: dict) -> None:
    with engine_for(api_url).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, status, trigger, attempts) "
                "VALUES (:id, '2026-01-05 21:30:00', '2026-01-05 21:30:00', 'running', 'schedule', 1)"
            ),
            {"id": nyse["id"]},
        )
    refused = client.delete(f"/schedules/{nyse['id']}", headers=AUTH | {"If-Match": '"1"'})
    assert refused.status_code == 409 and "running" in refused.json()["message"]
    assert client.get(f"/schedules/{nyse['id']}").status_code == 200
