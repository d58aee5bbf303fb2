"""The `jobsched` commands: same validation and messages as the API, readable tables, exit code 1 on error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import Result

from jobsched.api.app import create_app
from jobsched.api.auth import AuthSettings
from jobsched.store import state
from jobsched.store.db import engine_for
from jobsched_tests.cli.conftest import Invoke, make_invoker

EXAMPLE = [
    "--name", "eod-prices-nyse", "--job", "eod_prices_job", "--cron", "30 16 * * 1-5",
    "--timezone", "America/New_York", "--calendar", "XNYS",
]  # fmt: skip


def succeeded(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def failed(result: Result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr


def test_db_upgrade_and_idempotent_seed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    cli = make_invoker(url)
    assert "up to date" in succeeded(cli("db", "upgrade"))
    first = succeeded(cli("seed"))
    assert "created schedule" in first and "0 already present" in first
    second = succeeded(cli("seed"))
    assert "seed: 0 row(s) created" in second
    assert "demo_echo" in succeeded(cli("jobs", "list"))


def test_schedule_lifecycle(cli: Invoke) -> None:
    succeeded(cli("jobs", "add", "eod_prices_job", "--adapter", "demo_echo", "--params", '{"message": "hi"}'))
    assert "created schedule" in succeeded(cli("schedules", "add", *EXAMPLE))

    listing = succeeded(cli("schedules", "list"))
    header, row = listing.splitlines()[:2]
    assert header.split()[:4] == ["ID", "NAME", "JOB", "TIMING"]
    assert "eod-prices-nyse" in row and "XNYS" in row and "active" in row

    preview = succeeded(
        cli("schedules", "preview", "eod-prices-nyse", "--count", "3", "--after", "2026-11-24T00:00:00Z")
    )
    assert "2026-11-26 16:30:00-05:00  2026-11-26     skip: holiday" in preview
    assert preview.count("  fire  ") == 3

    assert "(version 2)" in succeeded(cli("schedules", "edit", "eod-prices-nyse", "--cron", "0 17 * * 1-5"))
    shown = succeeded(cli("schedules", "show", "eod-prices-nyse"))
    assert re.search(r"^version +2$", shown, re.M) and re.search(r"^cron +0 17 \* \* 1-5$", shown, re.M)
    succeeded(cli("schedules", "pause", "eod-prices-nyse", "--reason", "vendor outage"))
    assert "paused (vendor outage)" in succeeded(cli("schedules", "list"))
    succeeded(cli("schedules", "resume", "eod-prices-nyse"))

    assert "queued manual fire" in succeeded(cli("schedules", "trigger", "eod-prices-nyse"))
    fires = succeeded(cli("schedules", "fires", "eod-prices-nyse"))
    assert "manual" in fires and "pending" in fires

    last_week = (datetime.now(UTC) - timedelta(days=10)).date()
    dry = succeeded(cli("schedules", "backfill", "eod-prices-nyse", "--from", last_week.isoformat(),
                        "--to", (last_week + timedelta(days=6)).isoformat(), "--dry-run"))  # fmt: skip
    assert dry.startswith("would queue ")
    assert "deleted schedule" in succeeded(cli("schedules", "delete", "eod-prices-nyse", "--yes"))
    assert succeeded(cli("schedules", "list")).strip() == "(none)"


def test_preview_of_a_draft(sqlite_cli: Invoke) -> None:
    out = succeeded(
        sqlite_cli("schedules", "preview", "--cron", "0 9 13 * 5", "--count", "2", "--after", "2026-01-01")
    )
    assert "2026-02-13 09:00:00+00:00" in out and "2026-03-13 09:00:00+00:00" in out


def test_errors_exit_1_with_the_api_message(sqlite_cli: Invoke, sqlite_url: str) -> None:
    from fastapi.testclient import TestClient

    succeeded(sqlite_cli("jobs", "add", "eod_prices_job", "--adapter", "demo_echo"))
    bad = [*EXAMPLE[:4], "--cron", "61 16 * * 1-5", *EXAMPLE[6:]]
    cli_error = failed(sqlite_cli("schedules", "add", *bad))
    body = {"name": "eod-prices-nyse", "job_key": "eod_prices_job", "cron": "61 16 * * 1-5",
            "timezone": "America/New_York", "calendar": "XNYS"}  # fmt: skip
    with TestClient(create_app(sqlite_url, auth=AuthSettings("t", True))) as client:
        api = client.post("/schedules", json=body, headers={"Authorization": "Bearer t"}).json()
    assert cli_error.strip() == f"error: {api['message']}"
    assert "cron='61 16 * * 1-5'" in cli_error

    assert "error: invalid job definition: params.colour='red': unknown parameter" in failed(
        sqlite_cli("jobs", "add", "x", "--adapter", "demo_echo", "--params", '{"colour": "red"}')
    )
    assert "unknown adapter" in failed(sqlite_cli("jobs", "add", "x", "--adapter", "nope"))
    assert "schedule 'nope' not found" in failed(sqlite_cli("schedules", "show", "nope"))
    assert "timezone='Mars/Base'" in failed(sqlite_cli("schedules", "preview", "--cron", "0 9 * * *",
                                                       "--timezone", "Mars/Base"))  # fmt: skip
    usage = sqlite_cli("schedules", "backfill", "1", "--from", "yesterday", "--to", "2026-01-01")
    assert usage.exit_code == 2 and "--from" in usage.stderr


def test_calendars(cli: Invoke) -> None:
    assert "XNYS" in succeeded(cli("calendars", "exchanges"))
    assert "2026-12-31" in succeeded(cli("calendars", "show", "XBOM"))
    succeeded(cli("calendars", "add", "ops-uk", "--base", "XLON"))
    half_day = ["2026-12-24", "--kind", "session", "--close", "12:30", "--reason", "Christmas Eve half day"]
    succeeded(cli("calendars", "add-override", "ops-uk", *half_day))
    shown = succeeded(cli("calendars", "show", "ops-uk"))
    assert "2026-12-24  session  -     12:30  Christmas Eve half day" in shown
    assert "holiday has no session times" in failed(
        cli(
            "calendars",
            "add-override",
            "ops-uk",
            "2026-12-25",
            "--kind",
            "holiday",
            "--open",
            "10:00",
            "--reason",
            "x",
        )  # fmt: skip
    )
    succeeded(cli("calendars", "remove-override", "ops-uk", "2026-12-24"))
    assert "weekmask='11'" in failed(cli("calendars", "edit", "ops-uk", "--weekmask", "11"))
    succeeded(cli("calendars", "delete", "ops-uk", "--yes"))
    assert "(none)" in succeeded(cli("calendars", "list"))


def test_health_exit_code(sqlite_cli: Invoke, sqlite_url: str) -> None:
    assert "no engine tick" in failed(sqlite_cli("health"))
    with engine_for(sqlite_url).begin() as conn:
        state.record_tick(conn, datetime.now(UTC), {})
    assert "health: ok" in succeeded(sqlite_cli("health"))


def test_installed_entry_point(sqlite_url: str) -> None:
    script = Path(sys.executable).parent / "jobsched"
    env = os.environ | {"JOBSCHED_DATABASE_URL": sqlite_url}
    listed = subprocess.run(
        [script, "schedules", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0 and listed.stdout.strip() == "(none)", listed.stderr
    missing = subprocess.run(
        [script, "schedules", "show", "7"], env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 1 and missing.stderr.strip() == "error: schedule 7 not found"


def test_preview_past_a_calendars_data_summarises_the_run_of_identical_skips(sqlite_cli: Invoke) -> None:
    """Issue 15: XBOM's data ends 2026-12-31; a daily row then has 1,000 calendar_horizon skips in view."""
    args = ("schedules", "preview", "--cron", "15 9 * * *", "--timezone", "Asia/Kolkata",
            "--calendar", "XBOM", "--after", "2026-12-28", "--count", "5")  # fmt: skip
    lines = succeeded(sqlite_cli(*args)).splitlines()
    assert len(lines) < 15
    fired = [line.split()[0] for line in lines if "  fire" in line]
    assert fired == [f"2026-12-{d}" for d in (28, 29, 30, 31)]
    assert sum("skip: calendar_horizon" in line for line in lines) == 3  # the run's first lines
    assert "… and 997 more calendar_horizon skips through 2029-09-26" in lines[-2]
    assert lines[-1].startswith("4 of 5 fires found")
    # --all prints every line; --json is the API's answer, every skip listed
    assert succeeded(sqlite_cli(*args, "--all")).count("skip: calendar_horizon") == 1000
    fires = json.loads(succeeded(sqlite_cli(*args, "--json")))["fires"]
    assert len(fires) == 1004 and sum(f["skip"] == "calendar_horizon" for f in fires) == 1000


def test_preview_keeps_short_runs_of_skips_whole(sqlite_cli: Invoke) -> None:
    out = succeeded(sqlite_cli("schedules", "preview", "--cron", "0 9 * * *", "--calendar", "XNYS",
                               "--after", "2026-11-20", "--count", "5"))  # fmt: skip
    assert out.count("skip: holiday") == 3 and "more" not in out  # a weekend and Thanksgiving


def test_job_deadline_is_set_shown_checked_and_removed(sqlite_cli: Invoke) -> None:
    succeeded(sqlite_cli("jobs", "add", "prices", "--adapter", "demo_echo", "--deadline", "close+2h"))
    assert "close+2h" in succeeded(sqlite_cli("jobs", "list"))
    error = failed(sqlite_cli("jobs", "edit", "prices", "--deadline", "after lunch"))
    assert "deadline='after lunch': not a deadline; use 'close+2h'" in error
    succeeded(sqlite_cli("jobs", "edit", "prices", "--deadline", "18:30"))
    assert '"deadline": "18:30"' in succeeded(sqlite_cli("jobs", "show", "prices", "--json"))
    succeeded(sqlite_cli("jobs", "edit", "prices", "--deadline", ""))
    assert '"deadline": null' in succeeded(sqlite_cli("jobs", "show", "prices", "--json"))
