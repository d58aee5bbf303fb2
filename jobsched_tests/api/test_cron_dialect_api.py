"""Issue 15 through the API: the cron dialect's edges are refused naming field and value, validation honours
cron_day_match, and the OpenAPI field descriptions state the day-of-month/day-of-week rule."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jobsched_tests.api.conftest import AUTH, NYSE_CLOSE, add_job, ok, problem

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
