"""Preview (saved and draft), the ledger with paging and filters, health."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobsched.domain.model import Candidate, SkipReason
from jobsched.service.health import health
from jobsched.store import ledger, state
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, add_job, ok, problem

THANKSGIVING_WEEK = "2026-11-24T00:00:00Z"


def test_preview_saved_shows_holiday_skip(client: TestClient, nyse: dict[str, Any]) -> None:
    body = ok(client.get(f"/schedules/{nyse['id']}/preview", params={"count": 3, "after": THANKSGIVING_WEEK}))
    rows = [(f["business_date"], f["local_time"], f["skip"]) for f in body["fires"]]
    assert rows == [
        ("2026-11-24", "2026-11-24T16:30:00-05:00", None),
        ("2026-11-25", "2026-11-25T16:30:00-05:00", None),
        ("2026-11-26", "2026-11-26T16:30:00-05:00", "holiday"),
        ("2026-11-27", "2026-11-27T16:30:00-05:00", None),
    ]
    assert "not a XNYS session" in body["fires"][2]["detail"]


def test_preview_draft_session_close_uses_real_half_day(client: TestClient) -> None:
    draft = {"kind": "session", "session_event": "close", "offset_minutes": 30, "calendar": "XNYS"}
    body = ok(client.post("/schedules/preview", json=draft, params={"count": 4, "after": THANKSGIVING_WEEK}))
    assert body["schedule_id"] is None and body["timezone"] == "UTC"
    fires = [(f["business_date"], f["run_at"]) for f in body["fires"] if f["skip"] is None]
    # NYSE closes 13:00 ET on the day after Thanksgiving: the fire is 13:30 ET (18:30 UTC).
    assert ("2026-11-27", "2026-11-27T18:30:00Z") in fires
    assert ("2026-11-25", "2026-11-25T21:30:00Z") in fires
    assert ok(client.get("/schedules")) == []  # a draft is never saved


def test_preview_draft_is_validated(client: TestClient) -> None:
    found = problem(client.post("/schedules/preview", json={"cron": "0 9 13 * 5", "calendar": "NOPE"}))
    assert (found["field"], found["value"]) == ("calendar", "NOPE")
    found = problem(client.post("/schedules/preview", json={"cron": "0 9 * *"}))
    assert (found["field"], found["value"]) == ("cron", "0 9 * *")
    found = problem(client.post("/schedules/preview", json={"cron": "0 9 * * *", "job_key": "missing"}))
    assert found["field"] == "job_key"


def test_preview_friday_13th_and(client: TestClient) -> None:
    body = ok(
        client.post(
            "/schedules/preview", json={"cron": "0 9 13 * 5"}, params={"count": 2, "after": "2026-01-01"}
        )
    )
    assert [f["business_date"] for f in body["fires"]] == ["2026-02-13", "2026-03-13"]


def test_ledger_paging_and_filters(client: TestClient, api_url: str, nyse: dict[str, Any]) -> None:
    start = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
    skips = [
        Candidate(start + timedelta(days=i), date(2026, 3, 2) + timedelta(days=i), skip=reason, detail="x")
        for i, reason in enumerate([SkipReason.HOLIDAY, SkipReason.MISFIRE, SkipReason.HOLIDAY])
    ]
    with engine_for(api_url).begin() as conn:
        ledger.record_skips(conn, nyse["id"], "eod_prices_job", skips)
        for i in range(3, 8):
            candidate = Candidate(start + timedelta(days=i), date(2026, 3, 2) + timedelta(days=i))
            ledger.claim_fire(conn, nyse["id"], "eod_prices_job", candidate, candidate.fire_at)
    url = f"/schedules/{nyse['id']}/fires"
    first = ok(client.get(url, params={"limit": 3}))
    assert len(first["items"]) == 3 and first["next_offset"] == 3
    assert first["items"][0]["fire_at"] > first["items"][1]["fire_at"]  # newest first
    rest = ok(client.get(url, params={"limit": 10, "offset": 3}))
    assert len(rest["items"]) == 5 and rest["next_offset"] is None
    holidays = ok(client.get(url, params={"reason": "holiday"}))["items"]
    assert [e["reason"] for e in holidays] == ["holiday", "holiday"]
    requested = ok(client.get(url, params={"status": "requested"}))["items"]
    assert len(requested) == 5 and all(e["run_key"].startswith(f"jobsched:{nyse['id']}:") for e in requested)
    assert client.get("/schedules/987654/fires").status_code == 404


def test_health_answers_503_with_reasons_then_200(client: TestClient, api_url: str, nyse: dict) -> None:
    unhealthy = client.get("/health")
    assert unhealthy.status_code == 503
    assert "no engine tick" in unhealthy.json()["engine"]["detail"]
    db = engine_for(api_url)
    with db.begin() as conn:
        state.record_tick(conn, datetime.now(UTC), {"requested": 0, "skipped": 0, "errors": {}})
    healthy = client.get("/health")
    assert healthy.status_code == 200, healthy.json()
    assert healthy.json()["calendars"][0]["calendar"] == "XNYS"

    with db.begin() as conn:
        state.quarantine(conn, nyse["id"], "cron='61 * * * *': bad minute field", datetime.now(UTC))
    quarantined = client.get("/health")
    assert quarantined.status_code == 503
    assert quarantined.json()["quarantined"][0]["schedule_id"] == nyse["id"]
    assert any("quarantined" in p for p in quarantined.json()["problems"])

    with db.begin() as conn:
        conn.execute(sa.text("DELETE FROM schedule_state"))
        state.record_tick(conn, datetime.now(UTC) - timedelta(minutes=5), {})
    stale = client.get("/health")
    assert stale.status_code == 503 and "more than 60s" in stale.json()["engine"]["detail"]


def test_health_calendar_horizon(client: TestClient, api_url: str) -> None:
    add_job(client)
    ok(
        client.post(
            "/schedules",
            json={
                "name": "xbom",
                "job_key": "eod_prices_job",
                "cron": "0 18 * * 1-5",
                "timezone": "Asia/Kolkata",
                "calendar": "XBOM",
            },
            headers=AUTH,
        ),
        201,
    )
    db = engine_for(api_url)
    near_end = datetime(2026, 11, 23, tzinfo=UTC)  # XBOM data ends 2026-12-31
    with db.begin() as conn:
        state.record_tick(conn, near_end, {})
    report = health(db, near_end)
    assert not report.ok
    xbom = report.calendars[0]
    assert (xbom.calendar, xbom.ok, xbom.last_day) == ("XBOM", False, date(2026, 12, 31))
    assert any("XBOM" in p and "2026-12-31" in p for p in report.problems)
    assert health(db, datetime(2026, 6, 1, tzinfo=UTC), max_age=10**9).ok


def test_health_database_unreachable() -> None:
    from jobsched_tests.api.conftest import make_client

    down = "postgresql+psycopg2://postgres@127.0.0.1:1/nothing"
    with make_client(down) as client:
        response = client.get("/health")
    assert response.status_code == 503 and response.json()["database"]["ok"] is False
    assert "database unreachable" in response.json()["problems"][0]


def test_docs_and_openapi(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = ok(client.get("/openapi.json"))
    for path in ("/schedules", "/schedules/{schedule_id}/backfill", "/calendars/exchanges", "/health"):
        assert path in schema["paths"]
    assert "XNYS" in ok(client.get("/calendars/exchanges"))
