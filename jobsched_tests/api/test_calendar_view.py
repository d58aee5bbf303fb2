"""The calendar view: what a person sees for a schedule (rendered with an explicit `now`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobsched.api.render import calendar_page
from jobsched.service.calendar_view import calendar_view
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, ok

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _cell(html: str, day: str) -> str:
    match = re.search(rf'<td class="([^"]*)" data-day="{day}" title="([^"]*)">(.*?)</td>', html)
    assert match, f"no cell for {day}"
    return match.group(0)


def test_month_shows_fires_holidays_half_days_and_horizon(
    sqlite_url_only: str, sqlite_nyse: dict[str, Any]
) -> None:
    view = calendar_view(engine_for(sqlite_url_only), sqlite_nyse["id"], NOW, months=2)
    html = calendar_page(view, 2)
    assert "November 2026" in html and "December 2026" in html

    ordinary = _cell(html, "2026-11-25")
    assert 'class="day open"' in ordinary and ">16:30<" in ordinary and "16:30 EST" in ordinary

    thanksgiving = _cell(html, "2026-11-26")
    assert 'class="day holiday"' in thanksgiving and "Thanksgiving" in thanksgiving
    assert 'data-reason="holiday"' in thanksgiving and "not a XNYS session" in thanksgiving

    black_friday = _cell(html, "2026-11-27")
    assert "early_close" in black_friday and "½ day" in black_friday and "13:00" in black_friday

    weekend = _cell(html, "2026-11-28")
    assert 'class="day weekend"' in weekend and "16:30" not in weekend
    past = _cell(html, "2026-11-02")  # today at NOW: 16:30 is still to come
    assert "today" in past and ">16:30<" in past
    assert "past" in _cell(html, "2026-11-01")

    assert view.horizon is not None and f"ends <strong>{view.horizon.isoformat()}</strong>" in html
    assert view.fire_count == 20 + 22 and view.skip_count == 2  # minus Thanksgiving and Christmas


def test_days_beyond_the_calendar_data_are_marked(sqlite_client: TestClient, sqlite_url_only: str) -> None:
    ok(sqlite_client.post("/jobs", json={"job_key": "bse", "adapter": "demo_echo"}, headers=AUTH), 201)
    body = {
        "name": "bse",
        "job_key": "bse",
        "cron": "0 18 * * 1-5",
        "timezone": "Asia/Kolkata",
        "calendar": "XBOM",
    }
    created = ok(sqlite_client.post("/schedules", json=body, headers=AUTH), 201)
    view = calendar_view(engine_for(sqlite_url_only), created["id"], NOW, months=3)
    html = calendar_page(view, 3)
    assert view.horizon is not None and view.horizon.isoformat() == "2026-12-31"
    beyond = _cell(html, "2027-01-04")
    assert 'class="day beyond"' in beyond and "never treated as open" in beyond
    assert 'data-reason="calendar_horizon"' in beyond


def test_route_and_paused_banner(sqlite_client: TestClient, sqlite_nyse: dict[str, Any]) -> None:
    ok(
        sqlite_client.post(
            f"/schedules/{sqlite_nyse['id']}/pause", json={"reason": "broker migration"}, headers=AUTH
        )
    )
    page = sqlite_client.get(f"/schedules/{sqlite_nyse['id']}/calendar", params={"months": 1})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Paused: broker migration" in page.text
    assert (
        sqlite_client.get(f"/schedules/{sqlite_nyse['id']}/calendar", params={"start": "2026-13"}).status_code
        == 422
    )
    assert sqlite_client.get("/schedules/999/calendar").status_code == 404
    index = sqlite_client.get("/")
    assert f"/schedules/{sqlite_nyse['id']}/calendar" in index.text and "eod-prices-nyse" in index.text


def test_names_are_escaped(sqlite_client: TestClient) -> None:
    ok(sqlite_client.post("/jobs", json={"job_key": "j", "adapter": "demo_echo"}, headers=AUTH), 201)
    body = {"name": "to-be-renamed", "job_key": "j", "cron": "0 1 * * *"}
    created = ok(sqlite_client.post("/schedules", json=body, headers=AUTH), 201)
    # The API refuses such a name (keys are a safe character set); SQL can still write one.
    with sqlite_client.app.state.engine.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET name = '<script>alert(1)</script>'"))
    page = sqlite_client.get(f"/schedules/{created['id']}/calendar").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    index = sqlite_client.get("/").text
    assert "<script>alert(1)</script>" not in index and "&lt;script&gt;" in index
