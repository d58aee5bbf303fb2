"""Calendar-aware deadlines of job definitions: the field (API), and a missed deadline as a /health alarm and
a /metrics gauge; a met deadline and a holiday never alarm. On SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobsched.service.freshness import MET, MISSED, evaluate
from jobsched.store.db import engine_for
from jobsched.store.rows import utc_now
from jobsched_tests.api.conftest import AUTH, add_job, add_schedule, ok, problem
from jobsched_tests.api.test_probes_metrics import scrape


def succeeded(url: str, schedule_id: int, job_key: str, day: date) -> None:
    fire = datetime.combine(day, datetime.min.time(), UTC)
    with engine_for(url).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, business_date, job_key, status)"
                " VALUES (:s, :f, :f, :d, :j, 'success')"
            ),
            {"s": schedule_id, "f": fire, "d": day, "j": job_key},
        )


def test_the_deadline_field_is_validated_and_round_trips(client: TestClient) -> None:
    bad = problem(
        client.post("/jobs", json={"job_key": "j", "adapter": "demo_echo", "deadline": "noon"}, headers=AUTH)
    )
    assert bad["field"] == "deadline" and bad["value"] == "noon"
    assert "not a deadline; use 'close+2h'" in bad["message"]
    created = add_job(client, "prices", deadline="close+2h")
    assert created["deadline"] == "close+2h"
    patched = client.patch(
        "/jobs/prices", json={"deadline": "18:30", "version": created["version"]}, headers=AUTH
    )
    assert ok(patched)["deadline"] == "18:30"
    assert ok(client.get("/jobs/prices"))["deadline"] == "18:30"


def test_a_missed_deadline_alarms_in_health_and_metrics_until_loaded(
    client: TestClient, api_url: str
) -> None:
    add_job(client, "daily_load", deadline="00:00")  # due at midnight UTC of each day (no calendar)
    schedule = add_schedule(
        client,
        name="daily",
        job_key="daily_load",
        calendar=None,
        timezone="UTC",
        cron="0 1 * * *",
        start_at="2026-01-01T00:00:00Z",
    )
    today = utc_now().date()
    health = client.get("/health", headers=AUTH).json()
    (line,) = health["missed_deadlines"]
    assert line.startswith(f"daily_load for {today} (deadline 00:00") and line.endswith(
        "missed, no successful load"
    )
    assert f"deadline: {line}" in health["problems"] and health["ok"] is False
    assert scrape(client)[("jobsched_deadline_missed", (("job", "daily_load"),))] == 1

    succeeded(api_url, schedule["id"], "daily_load", today)
    assert client.get("/health", headers=AUTH).json()["missed_deadlines"] == []
    assert scrape(client)[("jobsched_deadline_missed", (("job", "daily_load"),))] == 0


def test_a_holiday_never_alarms_and_a_met_deadline_passes(client: TestClient, api_url: str) -> None:
    add_job(client, "nyse_close", deadline="close+2h")
    schedule = add_schedule(
        client, name="nyse", job_key="nyse_close", cron="30 16 * * 1-5", start_at="2026-11-01T00:00:00Z"
    )
    engine = engine_for(api_url)
    thanksgiving_evening = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 22:00 ET on the holiday
    (status,) = evaluate(engine, thanksgiving_evening)
    assert status.business_date == date(2026, 11, 25) and status.state == MISSED  # not the holiday
    succeeded(api_url, schedule["id"], "nyse_close", date(2026, 11, 25))
    (status,) = evaluate(engine, thanksgiving_evening)
    assert status.business_date == date(2026, 11, 25) and status.state == MET and status.passed
    # all through the holiday, up to Friday's deadline (half day: 13:00 ET close + 2h), nothing else is due
    for hour in range(24):
        at = datetime(2026, 11, 26, hour, 0, tzinfo=UTC)
        assert [(s.business_date, s.state) for s in evaluate(engine, at)] == [(date(2026, 11, 25), MET)]
    friday = [(s.business_date, s.state) for s in evaluate(engine, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))]
    assert friday == [(date(2026, 11, 27), MISSED)]
