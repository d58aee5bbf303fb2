"""What a person sees: the calendar view of a schedule, and the Dagster UI's run list filtered by its tag."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from jobsched.domain.calendars import exchange_calendar
from jobsched.domain.model import Candidate, FireStatus, SkipReason
from jobsched.service.calendar_view import day_notes
from jobsched.store import ledger
from jobsched.store.db import engine_for
from jobsched_tests.browser.conftest import TOKEN, Stack

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_YORK = ZoneInfo("America/New_York")


def post(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(stack.api.url + path, json=body, headers=AUTH, timeout=30)
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def _sessions_after(start: date, count: int) -> list[date]:
    xnys = exchange_calendar("XNYS", datetime.now(UTC))
    found, day = [], start
    while len(found) < count:
        day = xnys.next_session(day)
        found.append(day)
    return found


@pytest.fixture(scope="module")
def schedule(stack: Stack) -> dict[str, Any]:
    """A NYSE-close schedule on a custom calendar (XNYS plus a company holiday and a half day)."""
    today = datetime.now(NEW_YORK).date()
    plain_day, holiday, half_day = _sessions_after(today + timedelta(days=7), 3)
    post(stack, "/jobs", {"job_key": "eod_prices_job", "adapter": "demo_echo"})
    post(stack, "/calendars", {"name": "ops-us", "base": "XNYS"})
    post(
        stack,
        "/calendars/ops-us/overrides",
        {"day": holiday.isoformat(), "kind": "holiday", "reason": "Founders Day"},
    )
    post(
        stack,
        "/calendars/ops-us/overrides",
        {"day": half_day.isoformat(), "kind": "session", "close_time": "13:00", "reason": "Offsite half day"},
    )
    created = post(
        stack,
        "/schedules",
        {
            "name": "eod-prices-nyse",
            "job_key": "eod_prices_job",
            "cron": "30 16 * * 1-5",
            "timezone": "America/New_York",
            "calendar": "ops-us",
        },  # fmt: skip
    )
    return created | {"plain_day": plain_day, "holiday": holiday, "half_day": half_day}


def _cell(driver: Any, day: date) -> Any:
    return driver.find_element(By.CSS_SELECTOR, f'td[data-day="{day.isoformat()}"]')


def test_calendar_view_shows_fires_skips_half_days_and_horizon(
    stack: Stack, browser: Any, schedule: dict[str, Any]
) -> None:
    driver = browser
    driver.get(f"{stack.api.url}/schedules/{schedule['id']}/calendar?months=3")
    assert driver.find_element(By.ID, "schedule-name").text == "eod-prices-nyse"
    captions = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "table.month caption")]
    assert captions[0] == datetime.now(NEW_YORK).strftime("%B %Y") and len(captions) == 3

    plain = _cell(driver, schedule["plain_day"])
    fire = plain.find_element(By.CSS_SELECTOR, ".fire")
    assert fire.is_displayed() and fire.text == "16:30"
    assert "business date " + schedule["plain_day"].isoformat() in fire.get_attribute("title")

    holiday = _cell(driver, schedule["holiday"])
    assert "holiday" in holiday.get_attribute("class").split()
    assert "Founders Day" in holiday.text  # the reason is on the page, and on hover:
    skip = holiday.find_element(By.CSS_SELECTOR, ".skip")
    ActionChains(driver).move_to_element(skip).perform()
    assert skip.is_displayed() and skip.text == "16:30 holiday"
    assert skip.value_of_css_property("text-decoration-line") == "line-through"
    assert "not a ops-us session" in skip.get_attribute("title")
    assert "Founders Day" in holiday.get_attribute("title")

    half = _cell(driver, schedule["half_day"])
    assert "early_close" in half.get_attribute("class").split()
    assert "½ day" in half.text and "early close 13:00" in half.get_attribute("title")
    assert "Offsite half day" in half.get_attribute("title")
    assert half.find_element(By.CSS_SELECTOR, ".fire").text == "16:30"  # a cron fire still runs after close

    shown = [
        date.fromisoformat(c.get_attribute("data-day"))
        for c in driver.find_elements(By.CSS_SELECTOR, "td[data-day]")
    ]
    xnys = exchange_calendar("XNYS", datetime.now(UTC))
    exchange_holidays = [d for d in shown if d.weekday() < 5 and xnys.is_known(d) and not xnys.is_session(d)]
    assert exchange_holidays, "three months always contain an NYSE holiday"
    first = exchange_holidays[0]
    assert day_notes(xnys, first.year)[first] in _cell(driver, first).get_attribute("title")

    horizon = driver.find_element(By.ID, "horizon")
    assert horizon.is_displayed() and xnys.last_day.isoformat() in horizon.text
    driver.save_screenshot(str(stack.dagster_home / "calendar.png"))


def test_index_and_calendar_tell_next_fire_last_outcome_and_a_past_skip(
    stack: Stack, browser: Any, schedule: dict[str, Any]
) -> None:
    engine = engine_for(stack.database_url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    skipped_at = now - timedelta(hours=2)
    done_at = now - timedelta(days=1, hours=3)
    run_id = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
    with engine.begin() as conn:
        reason = "paused: vendor outage INC-42"
        skip = Candidate(skipped_at, skipped_at.date(), skip=SkipReason.PAUSED, detail=reason)
        ledger.record_skips(conn, schedule["id"], "eod_prices_job", [skip])
        ledger.claim_fire(conn, schedule["id"], "eod_prices_job", Candidate(done_at, done_at.date()), now)
    ledger.record_outcome(engine, schedule["id"], done_at, run_id, FireStatus.SUCCESS)

    driver = browser
    driver.get(stack.api.url + "/")
    row = driver.find_element(By.CSS_SELECTOR, 'tr[data-schedule="eod-prices-nyse"]')
    next_fire = row.find_element(By.CSS_SELECTOR, "td.next").text
    assert re.search(r"\d{4}-\d\d-\d\d 16:30 E[SD]T", next_fire), next_fire
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:30 UTC", next_fire), next_fire
    last = row.find_element(By.CSS_SELECTOR, "td.last")
    assert "success" in last.text and f"fire {done_at:%Y-%m-%d %H:%M} UTC" in last.text
    link = last.find_element(By.CSS_SELECTOR, "a.run")
    assert link.get_attribute("href") == f"{stack.dagster.url}/runs/{run_id}" and link.text == "run 0f1e2d3c"
    skips = row.find_element(By.CSS_SELECTOR, "td.skips")
    assert skips.text == "1: paused ×1" and "vendor outage INC-42" in skips.get_attribute("title")
    driver.save_screenshot(str(stack.dagster_home / "index.png"))

    day = skipped_at.astimezone(NEW_YORK).date()
    driver.get(f"{stack.api.url}/schedules/{schedule['id']}/calendar?start={day:%Y-%m}&months=1")
    mark = _cell(driver, day).find_element(By.CSS_SELECTOR, '.skip[data-reason="paused"]')
    ActionChains(driver).move_to_element(mark).perform()
    local = skipped_at.astimezone(NEW_YORK)
    assert mark.is_displayed() and mark.text == f"{local:%H:%M} paused"
    assert "vendor outage INC-42" in mark.get_attribute("title")


def test_dagster_run_list_filtered_by_schedule_tag(
    stack: Stack, browser: Any, schedule: dict[str, Any]
) -> None:
    import dagster as dg

    from jobsched.engine import FireRequest
    from jobsched.store.repository import JobDefinition

    @dg.op
    def noop() -> None:
        return None

    @dg.job(name="jobsched_browser_probe")
    def probe() -> None:
        noop()

    def tags_for(schedule_id: int) -> dict[str, str]:
        fire_at = datetime.now(UTC).replace(microsecond=0)
        request = FireRequest(
            schedule_id=schedule_id,
            schedule_name=schedule["name"],
            fire_at=fire_at,
            business_date=fire_at.astimezone(NEW_YORK).date(),
            job=JobDefinition("eod_prices_job", "demo_echo"),
            trigger="manual",
            run_key=f"jobsched:{schedule_id}:{fire_at.isoformat()}",
        )
        return request.tags()

    instance = dg.DagsterInstance.from_config(str(stack.dagster_home))
    ours = probe.execute_in_process(instance=instance, tags=tags_for(schedule["id"])).run_id
    other = probe.execute_in_process(instance=instance, tags=tags_for(schedule["id"] + 1000)).run_id

    stack.dagster.wait_until_up("/server_info", 90)
    driver = browser
    driver.get(f"{stack.dagster.url}/runs")  # unfiltered: both runs are listed
    WebDriverWait(driver, 60).until(lambda d: {ours[:8], other[:8]} <= set(_words(d)))
    # The UI's own filter URL (RunsFilterUtils.runsPathWithFilters: q[]=tag:<key>=<value>).
    driver.get(f"{stack.dagster.url}/runs?q%5B%5D=tag%3Ajobsched%2Fschedule%3D{schedule['id']}")
    WebDriverWait(driver, 60).until(lambda d: ours[:8] in _words(d) and other[:8] not in _words(d))
    page = driver.find_element(By.TAG_NAME, "body").text
    driver.save_screenshot(str(stack.dagster_home / "runs.png"))
    assert f"jobsched/schedule={schedule['id']}" in page or f"jobsched/schedule: {schedule['id']}" in page


def _words(driver: Any) -> list[str]:
    return driver.find_element(By.TAG_NAME, "body").text.split()
