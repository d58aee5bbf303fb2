"""Rows written by SQL with values the code cannot use (or cannot even read): each one is shown as INVALID
naming its column and value, and every list, show page and CLI command keeps answering (SQLite and
Postgres; SQLite also takes values of the wrong type)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from jobsched.cli import main
from jobsched.store.db import engine_for
from jobsched_tests.api.conftest import AUTH, make_client, ok

DEEP = "[" * 5000 + "]" * 5000


@dataclass(frozen=True)
class Hostile:
    """One bad value written by SQL into the row of `table` the fixture made for it."""

    table: str  # jobs | schedules | calendars | overrides
    column: str
    sql_value: str  # SQL literal
    shown: str  # what the problem must quote (a prefix of the value)
    sqlite_only: bool = False


CASES = [
    Hostile("jobs", "params", f"'{{\"deep\": {DEEP}}}'", "params="),
    Hostile("jobs", "params", "'{'", "params='{'"),
    Hostile("jobs", "params", "'{\"timeout_seconds\": Infinity}'", "Infinity"),
    Hostile("jobs", "job_key", "'prix_€'", "prix_€"),
    Hostile("jobs", "job_key", "'a/b'", "a/b"),
    Hostile("jobs", "job_key", "'bad\r\nkey'", "job_key="),
    Hostile("jobs", "created_at", "'yesterday'", "created_at='yesterday'", sqlite_only=True),
    Hostile("schedules", "start_at", "'not a date'", "start_at='not a date'", sqlite_only=True),
    Hostile("schedules", "misfire_grace_seconds", "'abc'", "misfire_grace_seconds='abc'", sqlite_only=True),
    Hostile("schedules", "end_at", "'soon'", "end_at='soon'", sqlite_only=True),
    Hostile("schedules", "enabled", "'maybe'", "enabled='maybe'", sqlite_only=True),
    Hostile("schedules", "start_at", "'9999-12-31 00:00:00'", "start_at="),
    Hostile("schedules", "timezone", "'localtime'", "timezone='localtime'"),
    Hostile("schedules", "timezone", "'Factory'", "timezone='Factory'"),
    Hostile("schedules", "name", "'esc\x1b[31mred'", "name="),
    Hostile("schedules", "cron", "'61 * * * *'", "cron='61 * * * *'"),
    Hostile("schedules", "calendar", "'NOPE'", "calendar='NOPE'"),
    Hostile("calendars", "open_time", "'17:00'", "close_time="),
    Hostile("calendars", "timezone", "'Factory'", "timezone='Factory'"),
    Hostile("calendars", "version", "'v1'", "version='v1'", sqlite_only=True),
    Hostile("overrides", "day", "'not-a-day'", "day='not-a-day'", sqlite_only=True),
    Hostile("overrides", "close_time", "'08:00'", "close_time='08:00'"),
]


def _id(case: Hostile) -> str:
    return f"{case.table}.{case.column}={case.sql_value[:20]}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_hostile_row_is_invalid_and_everything_still_answers(db_url: str, case: Hostile) -> None:
    if case.sqlite_only and not db_url.startswith("sqlite"):
        pytest.skip("Postgres refuses a value of the wrong type for the column")
    client = make_client(db_url)
    ok(client.post("/jobs", json={"job_key": "good", "adapter": "demo_echo"}, headers=AUTH), 201)
    ok(client.post("/jobs", json={"job_key": "victim", "adapter": "demo_echo"}, headers=AUTH), 201)
    good = {"name": "good", "job_key": "good", "cron": "0 1 * * *"}
    good = ok(client.post("/schedules", json=good, headers=AUTH), 201)
    victim = {"name": "victim", "job_key": "good", "cron": "0 2 * * *"}
    victim = ok(client.post("/schedules", json=victim, headers=AUTH), 201)
    ok(client.post("/calendars", json={"name": "victim", "weekmask": "1111100"}, headers=AUTH), 201)
    override = {"day": "2030-01-02", "kind": "session", "reason": "x", "open_time": "09:00"}
    override |= {"close_time": "12:00"}
    ok(client.post("/calendars/victim/overrides", json=override, headers=AUTH), 201)

    where = {
        "jobs": ("job_definitions", "job_key = 'victim'"),
        "schedules": ("schedules", f"id = {victim['id']}"),
        "calendars": ("calendars", "name = 'victim'"),
        "overrides": ("calendar_overrides", "1 = 1"),
    }[case.table]
    with engine_for(db_url).begin() as conn:
        conn.execute(sa.text(f"UPDATE {where[0]} SET {case.column} = {case.sql_value} WHERE {where[1]}"))
        if case.column == "version":  # the update trigger bumps version: write it again without the trigger
            triggers = conn.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                {"t": where[0]},
            ).all()
            for name, _ in triggers:
                conn.execute(sa.text(f"DROP TRIGGER {name}"))
            conn.execute(sa.text(f"UPDATE {where[0]} SET version = {case.sql_value} WHERE {where[1]}"))
            for _, sql in triggers:
                conn.execute(sa.text(sql))

    # Every list answers, the bad row is in it with its problem naming column and value, the good rows too.
    jobs = ok(client.get("/jobs"))
    schedules = ok(client.get("/schedules"))
    calendars = ok(client.get("/calendars"))
    assert {"good"} <= {j["job_key"] for j in jobs} and {"good"} <= {s["name"] for s in schedules}
    assert not next(s for s in schedules if s["name"] == "good")["problem"]
    assert client.get("/").status_code == 200

    if case.table == "jobs":
        bad = next(j for j in jobs if j["job_key"] != "good")
        shown = bad["problem"]
        # The show page: by key where the key can be in a URL; always through the CLI.
        if "/" not in bad["job_key"] and "\r" not in bad["job_key"]:
            assert client.get(f"/jobs/{bad['job_key']}").status_code == 200
    elif case.table == "schedules":
        bad = next(s for s in schedules if s["id"] == victim["id"])
        shown = bad["problem"]
        assert ok(client.get(f"/schedules/{victim['id']}"))["problem"] == shown
        assert client.get(f"/schedules/{victim['id']}/calendar").status_code == 200
        assert client.get(f"/schedules/{victim['id']}/preview").status_code == 409
        assert client.get(f"/schedules/{good['id']}/preview").status_code == 200
    else:
        bad = next(c for c in calendars if c["name"] == "victim")
        shown = bad["problem"]
        assert ok(client.get("/calendars/victim"))["problem"] == shown
    assert shown and case.column in shown and case.shown in shown, shown
    assert len(shown) < 1000

    # The CLI lists and shows, marks the row INVALID, prints no traceback nor raw escape sequences.
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, ["--database-url", db_url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output and "\x1b" not in result.output
        return result.output

    listing = {kind: cli(kind, "list") for kind in ("jobs", "schedules", "calendars")}
    kind = {"overrides": "calendars"}.get(case.table, case.table)
    assert "INVALID" in listing[kind], listing[kind]
    if case.table == "schedules":
        assert case.column in cli("schedules", "show", str(victim["id"]))
    elif case.table != "jobs":
        assert case.column in cli("calendars", "show", "victim")
