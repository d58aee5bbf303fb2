"""/live, /ready and /metrics on the real app, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from jobsched.api.app import create_app
from jobsched.store import state
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import add_job, add_schedule, ok


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def ledger_row(conn: sa.Connection, schedule_id: int, due: datetime, status: str, **more: object) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, status, reason, claimed_at)"
            " VALUES (:s, :f, :d, :st, :r, :c)"
        ),
        {
            "s": schedule_id,
            "f": due,
            "d": due,
            "st": status,
            "r": more.get("reason"),
            "c": more.get("claimed"),
        },
    )


def test_probes_answer_without_details(client: TestClient) -> None:
    assert ok(client.get("/live")) == {"status": "live"}
    assert ok(client.get("/ready")) == {"status": "ready"}


def test_ready_is_503_when_the_database_is_unreachable_and_live_stays_200() -> None:
    app = create_app("postgresql+psycopg2://nobody@127.0.0.1:9/none?connect_timeout=2")
    with TestClient(app) as client:
        assert client.get("/live").status_code == 200
        response = client.get("/ready")
        assert response.status_code == 503 and response.json() == {"status": "not ready"}
        samples = scrape(client)
        assert samples[("jobsched_database_up", ())] == 0


def test_metrics_report_fires_skips_lag_quarantine_calendars_tick_and_ledger(
    client: TestClient, api_url: str
) -> None:
    add_job(client)
    good = add_schedule(client)  # XNYS calendar
    bad = add_schedule(client, name="bad", calendar=None)
    now = datetime.now(UTC).replace(microsecond=0)
    engine = engine_for(api_url)
    with engine.begin() as conn:
        ledger_row(conn, good["id"], now - timedelta(hours=3), "success", claimed=now - timedelta(hours=3))
        ledger_row(
            conn, good["id"], now - timedelta(hours=2), "success", claimed=now - timedelta(minutes=110)
        )
        ledger_row(conn, good["id"], now - timedelta(hours=1), "skipped", reason="holiday")
        ledger_row(conn, good["id"], now - timedelta(minutes=50), "skipped", reason="holiday")
        ledger_row(conn, good["id"], now - timedelta(minutes=40), "skipped", reason="misfire")
        ledger_row(conn, good["id"], now - timedelta(minutes=5), "pending")
        ledger_row(conn, good["id"], now - timedelta(days=3), "failure")  # outside the 24h window
        state.quarantine(conn, bad["id"], "cron: nonsense", now)
        state.record_tick(conn, now - timedelta(seconds=30), {"requested": 1, "duration_seconds": 0.25})

    samples = scrape(client)
    assert samples[("jobsched_database_up", ())] == 1
    assert samples[("jobsched_fires", (("status", "success"),))] == 2
    assert samples[("jobsched_fires", (("status", "skipped"),))] == 3
    assert samples[("jobsched_fires", (("status", "pending"),))] == 1
    assert ("jobsched_fires", (("status", "failure"),)) not in samples
    assert samples[("jobsched_skips", (("reason", "holiday"),))] == 2
    assert samples[("jobsched_skips", (("reason", "misfire"),))] == 1
    assert 300 <= samples[("jobsched_fire_lag_seconds", (("kind", "oldest_waiting"),))] < 400
    assert samples[("jobsched_fire_lag_seconds", (("kind", "max_start"),))] == 600
    assert samples[("jobsched_quarantined_schedules", ())] == 1
    assert 0 < samples[("jobsched_calendar_days_left", (("calendar", "XNYS"),))] < 20 * 366
    assert 30 <= samples[("jobsched_engine_tick_age_seconds", ())] < 300
    assert samples[("jobsched_engine_tick_duration_seconds", ())] == 0.25
    assert samples[("jobsched_ledger_rows", ())] == 7


def test_metrics_on_an_empty_database(client: TestClient) -> None:
    samples = scrape(client)
    assert samples[("jobsched_database_up", ())] == 1
    assert samples[("jobsched_quarantined_schedules", ())] == 0
    assert samples[("jobsched_ledger_rows", ())] == 0
    assert samples[("jobsched_fire_lag_seconds", (("kind", "oldest_waiting"),))] == 0
    assert ("jobsched_engine_tick_age_seconds", ()) not in samples


def test_dashboard_and_alerts_use_only_exported_metrics(
    sqlite_client: TestClient, sqlite_url_only: str
) -> None:
    import json
    import re

    import yaml

    from jobsched_tests.deploy.files import DEPLOY

    add_job(sqlite_client, deadline="close+2h")  # exports jobsched_deadline_missed (0: nothing due yet)
    schedule = add_schedule(sqlite_client)
    now = datetime.now(UTC)
    with engine_for(sqlite_url_only).begin() as conn:
        state.record_tick(conn, now, {"duration_seconds": 0.1})
        ledger_row(conn, schedule["id"], now - timedelta(hours=1), "success")
        ledger_row(conn, schedule["id"], now - timedelta(hours=2), "skipped", reason="holiday")
    exported = {name for name, _ in scrape(sqlite_client)}
    dashboard = json.loads((DEPLOY / "grafana" / "jobsched.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = yaml.safe_load((DEPLOY / "grafana" / "alerts.yaml").read_text())
    queries += [r["expr"] for g in rules["groups"] for r in g["rules"]]
    used = {name for q in queries for name in re.findall(r"\bjobsched_[a-z_]+", q)}
    assert used and used <= exported, used - exported
    assert {"jobsched_fire_lag_seconds", "jobsched_skips", "jobsched_calendar_days_left"} <= used
