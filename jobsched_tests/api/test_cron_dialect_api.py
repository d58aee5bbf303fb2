"""Issue 15 through the API: the cron dialect's edges are refused naming field and value, validation honours
cron_day_match, and the OpenAPI field descriptions state the day-of-month/day-of-week rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from jobsched import engine as jobsched_engine
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, NYSE_CLOSE, add_job, ok, problem
from jobsched_tests.api.test_actions_api import NoRuns

FEBRUARY = {"name": "feb", "cron": "0 0 31 2 5", "timezone": "UTC", "calendar": None}


def test_february_31_or_friday_is_valid_and_previews_fridays(sqlite_client: TestClient) -> None:
    add_job(sqlite_client)
    refused = problem(sqlite_client.post("/schedules", json=NYSE_CLOSE | FEBRUARY, headers=AUTH))
    assert (refused["field"], refused["value"]) == ("cron", "0 0 31 2 5") and "never fires" in refused[
        "message"
    ]
    body = NYSE_CLOSE | FEBRUARY | {"cron_day_match": "or"}
    created = ok(sqlite_client.post("/schedules", json=body, headers=AUTH), 201)
    fires = ok(sqlite_client.get(f"/schedules/{created['id']}/preview?count=4&after=2026-01-01T00:00:00Z"))
    assert [f["business_date"] for f in fires["fires"]] == [f"2026-02-{d:02d}" for d in (6, 13, 20, 27)]


def test_dialect_edges_are_refused_naming_field_and_value(sqlite_client: TestClient) -> None:
    add_job(sqlite_client)
    for cron, words in [("0 0 * * 7-1", "runs backwards"), ("0 0 ? * *", "'?'"), ("0 0 15W * *", "'W'")]:
        found = problem(sqlite_client.post("/schedules", json=NYSE_CLOSE | {"cron": cron}, headers=AUTH))
        assert (found["field"], found["value"]) == ("cron", cron) and words in found["message"]


def test_openapi_states_the_and_default(sqlite_client: TestClient) -> None:
    schemas = ok(sqlite_client.get("/openapi.json"))["components"]["schemas"]
    for model in ("ScheduleInput", "ScheduleOut"):
        described = schemas[model]["properties"]["cron_day_match"]["description"]
        assert "'and' (default)" in described and "Friday the 13th" in described and "'*'" in described
        assert "'7-1' is refused" in schemas[model]["properties"]["cron"]["description"]


def test_dst_gap_skip_leaves_a_ledger_row_for_the_0200_slot(client: TestClient, api_url: str) -> None:
    """`0 * * * *` New York, dst_gap=skip, through the real engine tick into SQLite and Postgres: 02:00 on
    2026-03-08 does not exist and shares 07:00 UTC with 03:00 EDT; both get a ledger row."""
    add_job(client)
    body = NYSE_CLOSE | {
        "name": "hourly-ny", "cron": "0 * * * *", "calendar": None, "dst_gap": "skip",
        "start_at": "2026-03-08T05:30:00Z", "catchup_on_edit": True, "misfire_grace_seconds": 30 * 86400,
    }  # fmt: skip
    row = ok(client.post("/schedules", json=body, headers=AUTH), 201)
    now = datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    for _ in range(2):  # a second tick at the same instant adds nothing
        jobsched_engine.tick(engine_for(api_url), now, NoRuns())
    entries = ok(client.get(f"/schedules/{row['id']}/fires", params={"limit": 50}))["items"]
    seen = sorted((datetime.fromisoformat(e["fire_at"]), e["status"], e["reason"]) for e in entries)
    gap_end = datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert seen == [
        (datetime(2026, 3, 8, 6, tzinfo=UTC), "requested", None),
        (gap_end, "requested", None),
        (gap_end + timedelta(microseconds=16667), "skipped", "dst_gap"),
        (datetime(2026, 3, 8, 8, tzinfo=UTC), "requested", None),
    ]
    gap_row = next(e for e in entries if e["reason"] == "dst_gap")
    assert "02:00 does not exist on 2026-03-08 in America/New_York" in gap_row["detail"]
