"""Pause/resume, trigger now and backfill: through the ledger, then picked up by the engine tick."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobsched import engine as jobsched_engine
from jobsched.domain.model import Candidate, FireStatus, SkipReason
from jobsched.store import ledger
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, ok, problem

NEW_YORK = ZoneInfo("America/New_York")


class NoRuns:
    """The engine's view of Dagster when no run exists yet (the sensor passes the real instance)."""

    def run_id_for_key(self, run_key: str) -> str | None:
        return None

    def has_active_run(self, job_key: str) -> bool:
        return False


def test_pause_with_reason_then_resume(client: TestClient, nyse: dict[str, Any]) -> None:
    url = f"/schedules/{nyse['id']}"
    paused = ok(client.post(f"{url}/pause", json={"reason": "vendor outage INC-42"}, headers=AUTH))
    assert paused["paused"] is True and paused["pause_reason"] == "vendor outage INC-42"
    preview = ok(client.get(f"{url}/preview", params={"count": 2}))
    assert all(f["skip"] for f in preview["fires"])  # nothing runs while paused
    paused_fires = [f for f in preview["fires"] if f["skip"] == "paused"]
    assert paused_fires and "vendor outage INC-42" in paused_fires[0]["detail"]
    blank = problem(client.post(f"{url}/pause", json={"reason": "  "}, headers=AUTH))
    assert (blank["field"], blank["value"]) == ("reason", "  ")
    assert problem(client.post(f"{url}/pause", json={}, headers=AUTH))["field"] == "reason"
    resumed = ok(client.post(f"{url}/resume", headers=AUTH))
    assert resumed["paused"] is False and resumed["pause_reason"] is None
    stale = client.post(f"{url}/resume", json={"version": 1}, headers=AUTH)
    assert stale.status_code == 409


def test_trigger_now_is_a_manual_fire_the_engine_requests(
    client: TestClient, api_url: str, nyse: dict
) -> None:
    before = datetime.now(UTC)
    queued = ok(client.post(f"/schedules/{nyse['id']}/trigger", headers=AUTH), 202)
    assert queued["trigger"] == "manual"
    fire_at = datetime.fromisoformat(queued["fire_at"])
    assert before <= fire_at <= datetime.now(UTC)
    assert queued["business_date"] == fire_at.astimezone(NEW_YORK).date().isoformat()

    page = ok(client.get(f"/schedules/{nyse['id']}/fires", params={"status": "pending"}))
    assert [(e["trigger"], e["status"]) for e in page["items"]] == [("manual", "pending")]

    result = jobsched_engine.tick(engine_for(api_url), datetime.now(UTC), NoRuns())
    manual = [r for r in result.requests if r.trigger == "manual"]
    assert len(manual) == 1
    tags = manual[0].tags()
    assert tags["jobsched/trigger"] == "manual" and tags["jobsched/schedule"] == str(nyse["id"])
    assert ok(client.get(f"/schedules/{nyse['id']}/fires", params={"status": "requested"}))["items"]


def test_trigger_with_business_date_and_refusals(client: TestClient, nyse: dict[str, Any]) -> None:
    url = f"/schedules/{nyse['id']}"
    queued = ok(client.post(f"{url}/trigger", json={"business_date": "2026-01-02"}, headers=AUTH), 202)
    assert queued["business_date"] == "2026-01-02"
    ok(client.patch(f"/jobs/{nyse['job_key']}", json={"enabled": False, "version": 1}, headers=AUTH))
    refused = client.post(f"{url}/trigger", headers=AUTH)
    assert refused.status_code == 409 and "disabled" in refused.json()["message"]
    assert client.post("/schedules/424242/trigger", headers=AUTH).status_code == 404


def _thanksgiving_week() -> tuple[date, date]:
    """Monday..Friday of last year's Thanksgiving week (always inside the XNYS data window)."""
    year = datetime.now(UTC).year - 1
    first = date(year, 11, 1)
    thanksgiving = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thanksgiving - timedelta(days=3), thanksgiving + timedelta(days=1)


def _fire_at(day: date) -> datetime:
    return datetime.combine(day, time(16, 30), NEW_YORK).astimezone(UTC)


def test_backfill_queues_allowed_fires_once(client: TestClient, api_url: str, nyse: dict[str, Any]) -> None:
    monday, friday = _thanksgiving_week()
    tuesday, thursday = monday + timedelta(days=1), monday + timedelta(days=3)
    db = engine_for(api_url)
    with db.begin() as conn:  # Monday already ran; Tuesday was skipped as a misfire
        ledger.claim_fire(
            conn, nyse["id"], "eod_prices_job", Candidate(_fire_at(monday), monday), _fire_at(monday)
        )
        missed = Candidate(_fire_at(tuesday), tuesday, skip=SkipReason.MISFIRE, detail="engine down")
        ledger.record_skips(conn, nyse["id"], "eod_prices_job", [missed])
    ledger.record_outcome(db, nyse["id"], _fire_at(monday), "run-monday", FireStatus.SUCCESS)
    url = f"/schedules/{nyse['id']}/backfill"
    body = {"start": monday.isoformat(), "end": friday.isoformat()}

    dry = ok(client.post(url, json=body | {"dry_run": True}, headers=AUTH), 202)
    assert len(dry["queued"]) == 3
    assert ok(client.get(f"/schedules/{nyse['id']}/fires", params={"status": "pending"}))["items"] == []

    done = ok(client.post(url, json=body, headers=AUTH), 202)
    assert [f["business_date"] for f in done["queued"]] == [
        d.isoformat() for d in (tuesday, tuesday + timedelta(days=1), friday)
    ]
    assert "reopens a skipped fire" in done["queued"][0]["detail"]
    assert [f["business_date"] for f in done["already_present"]] == [monday.isoformat()]
    assert (
        "success" in done["already_present"][0]["detail"]
        and "run-monday" in done["already_present"][0]["detail"]
    )
    assert [(f["business_date"], f["skip"]) for f in done["skipped"]] == [(thursday.isoformat(), "holiday")]

    again = ok(client.post(url, json=body, headers=AUTH), 202)
    assert again["queued"] == [] and len(again["already_present"]) == 4

    result = jobsched_engine.tick(db, datetime.now(UTC), NoRuns())
    backfilled = sorted(r.business_date for r in result.requests if r.trigger == "backfill")
    assert backfilled == [tuesday, tuesday + timedelta(days=1), friday]
    with db.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM fire_ledger WHERE trigger = 'backfill'")
        ).scalar_one()
    assert count == 3


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-01-10", "2026-01-01", "end"),
        ("2020-01-01", "2026-01-01", "end"),
        ("2026-01-01", "2999-01-01", "end"),
    ],
)
def test_backfill_bad_ranges(
    client: TestClient, nyse: dict[str, Any], start: str, end: str, field: str
) -> None:
    found = problem(
        client.post(f"/schedules/{nyse['id']}/backfill", json={"start": start, "end": end}, headers=AUTH)
    )
    assert (found["field"], found["value"]) == (field, end)
