"""The index page, the calendar's history, and the offline API docs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from jobsched.api.render import calendar_page, distinct
from jobsched.domain.model import Candidate, FireStatus, SkipReason
from jobsched.service.calendar_view import calendar_view
from jobsched.store import ledger
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, ok

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _skip(engine, schedule_id: int, at: datetime, reason: SkipReason, detail: str) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        candidate = Candidate(fire_at=at, business_date=at.date(), skip=reason, detail=detail)
        ledger.record_skips(conn, schedule_id, "eod_prices_job", [candidate])


def test_calendar_shows_every_past_entry_of_a_day(sqlite_url_only: str, sqlite_nyse: dict[str, Any]) -> None:
    """A day with 1 paused and 4 misfire skips (more than a cell has room for) shows all 5."""
    engine = engine_for(sqlite_url_only)
    day = datetime(2026, 10, 20, 20, 30, tzinfo=UTC)
    _skip(engine, sqlite_nyse["id"], day, SkipReason.PAUSED, "paused: vendor outage INC-42")
    for minutes in range(1, 5):
        _skip(engine, sqlite_nyse["id"], day + timedelta(minutes=minutes), SkipReason.MISFIRE, "late by 2 h")
    view = calendar_view(engine, sqlite_nyse["id"], NOW, months=1, start=date(2026, 10, 1))
    html = calendar_page(view, 1)
    cell = re.search(r'<td class="[^"]*" data-day="2026-10-20".*?</td>', html, re.S)
    assert cell is not None
    assert cell.group(0).count('data-reason="misfire"') == 4 and 'data-reason="paused"' in cell.group(0)
    assert "0 fires · 5 skips" in cell.group(0)
    assert view.skip_count >= 5
    assert "vendor outage INC-42" in cell.group(0)


def test_tooltips_do_not_repeat_themselves() -> None:
    said = distinct("holiday (calendar closed)", "holiday", "Christmas")
    assert said == "holiday (calendar closed); Christmas"
    assert distinct("skipped (holiday)", "holiday", "would have run 16:30 EST") == (
        "skipped (holiday); would have run 16:30 EST"
    )


def test_beyond_cells_are_short_and_the_horizon_bar_is_labelled(sqlite_client: TestClient) -> None:
    ok(sqlite_client.post("/jobs", json={"job_key": "bse", "adapter": "demo_echo"}, headers=AUTH), 201)
    body = {"name": "bse", "job_key": "bse", "cron": "0 18 * * 1-5", "timezone": "Asia/Kolkata"}
    created = ok(sqlite_client.post("/schedules", json=body | {"calendar": "XBOM"}, headers=AUTH), 201)
    page = f"/schedules/{created['id']}/calendar"
    html = sqlite_client.get(page, params={"start": "2026-12", "months": 2}).text
    assert 'class="horizon-bar"' in html and "from 2027-01-01: no data" in html
    assert '<div class="note">no XBOM data (ends 2026-12-31)</div>' in html


def test_index_shows_next_fire_last_outcome_skips_and_problems(
    sqlite_client: TestClient, sqlite_url_only: str, sqlite_nyse: dict[str, Any]
) -> None:
    engine = engine_for(sqlite_url_only)
    now = datetime.now(UTC)
    _skip(engine, sqlite_nyse["id"], now - timedelta(hours=2), SkipReason.HOLIDAY, "not a XNYS session")
    last = Candidate(fire_at=now - timedelta(days=1, hours=1), business_date=now.date())
    with engine.begin() as conn:
        ledger.claim_fire(conn, sqlite_nyse["id"], "eod_prices_job", last, now)
    ledger.record_outcome(engine, sqlite_nyse["id"], last.fire_at, "run-0123456789", FireStatus.FAILURE)
    html = sqlite_client.get("/").text
    row = re.search(r'<tr data-schedule="eod-prices-nyse">.*?</tr>', html, re.S)
    assert row is not None
    text = row.group(0)
    assert re.search(r"\d{4}-\d\d-\d\d 16:30 EST", text) and re.search(r"\d\d:30 UTC", text)
    assert "failure" in text and '/runs/run-0123456789"' in text
    assert "1: holiday ×1" in text and "not a XNYS session" in text
    assert "last run failed" in text


def test_docs_and_redoc_work_offline(sqlite_client: TestClient) -> None:
    for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = sqlite_client.get(path)
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and all(url.startswith("/") for url in urls), urls  # nothing from a CDN
        script = next(url for url in urls if url.endswith(asset))
        served = sqlite_client.get(script)
        assert served.status_code == 200 and len(served.content) > 100_000
