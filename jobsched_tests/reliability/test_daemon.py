"""End to end with real dagster-daemon processes on Postgres: rows in, exactly one run per due fire out.

These use real time and minute-aligned crons, so each test takes a few minutes.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from dagster import AssetKey

from jobsched.defs.jobs import run_config
from jobsched_tests.reliability.harness import BIN, REPO, Deployment, next_minute, sleep_until

pytestmark = [pytest.mark.daemon, pytest.mark.slow, pytest.mark.postgres]

TAGS = (
    "jobsched/schedule",
    "jobsched/fire_time",
    "jobsched/business_date",
    "jobsched/job",
    "jobsched/adapter",
    "jobsched/trigger",
)


def add_job(d: Deployment, job_key: str) -> None:
    d.sql("INSERT INTO job_definitions (job_key, adapter, params) VALUES (:k, 'demo_echo', '{}')", k=job_key)


def add_schedule(d: Deployment, name: str, job_key: str, **columns: object) -> int:
    values = {"cron": "* * * * *", "timezone": "UTC"} | columns
    names = ", ".join(values)
    placeholders = ", ".join(f":{c}" for c in values)
    d.sql(
        f"INSERT INTO schedules (name, job_key, {names}) VALUES (:name, :job_key, {placeholders})",
        name=name,
        job_key=job_key,
        **values,
    )
    return d.sql("SELECT id FROM schedules WHERE name = :n", n=name)[0][0]


def ledger(d: Deployment, schedule_id: int) -> list:
    return d.sql(
        "SELECT fire_at, status, reason, detail, run_id FROM fire_ledger"
        " WHERE schedule_id = :s ORDER BY fire_at",
        s=schedule_id,
    )


def executions(d: Deployment) -> Counter:
    rows = d.sql("SELECT job_key, fire_time FROM demo_echo_executions WHERE fire_time IS NOT NULL")
    return Counter((job_key, _instant(fire_time)) for job_key, fire_time in rows)


def successes(d: Deployment) -> int:
    return d.sql("SELECT count(*) FROM fire_ledger WHERE status = 'success'")[0][0]


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def test_sql_rows_fire_with_tags_skips_say_why_and_bad_rows_are_quarantined(deployment: Deployment) -> None:
    d = deployment
    add_job(d, "demo_echo")
    good = add_schedule(d, "every-minute", "demo_echo")
    bad = {
        "cron": add_schedule(d, "bad-cron", "demo_echo", cron="every minute please"),
        "timezone": add_schedule(d, "bad-zone", "demo_echo", timezone="Mars/Olympus_Mons"),
        "calendar": add_schedule(d, "bad-calendar", "demo_echo", calendar="XNOPE"),
        "job_key": add_schedule(d, "bad-job", "no_such_job"),
    }
    today = datetime.now(UTC).date()
    d.sql("INSERT INTO calendars (name, base, weekmask) VALUES ('desk', NULL, '1111111')")
    d.sql(
        "INSERT INTO calendar_overrides (calendar_id, day, kind, reason) "
        "SELECT id, :day, 'holiday', 'desk closed for the test' FROM calendars WHERE name = 'desk'",
        day=today,
    )
    holiday = add_schedule(d, "on-a-holiday", "demo_echo", calendar="desk")
    paused = add_schedule(d, "paused", "demo_echo", paused=True, pause_reason="vendor outage")

    d.start_daemon()
    d.wait(lambda: successes(d) >= 2, stall=200, what="two successful fires of the good row")

    # quarantined rows name the column and the value; the good row kept firing
    errors = dict(d.sql("SELECT schedule_id, error FROM schedule_state WHERE error IS NOT NULL"))
    assert "cron" in errors[bad["cron"]] and "every minute please" in errors[bad["cron"]]
    assert "timezone" in errors[bad["timezone"]] and "Mars/Olympus_Mons" in errors[bad["timezone"]]
    assert "calendar" in errors[bad["calendar"]] and "XNOPE" in errors[bad["calendar"]]
    assert "job_key" in errors[bad["job_key"]] and "no_such_job" in errors[bad["job_key"]]
    assert good not in errors

    # each fire: one run, the six tags, created at or after its due instant
    fires = [row for row in ledger(d, good) if row.status == "success"]
    runs = d.instance().get_runs()
    by_fire = Counter(
        r.tags.get("jobsched/fire_time") for r in runs if r.tags.get("jobsched/schedule") == str(good)
    )
    scheduled_partitions: set[str] = set()
    for fire in fires:
        assert fire.fire_at.second == 0 and fire.fire_at.microsecond == 0
        assert by_fire[fire.fire_at.astimezone(UTC).isoformat()] == 1
        run = d.instance().get_run_by_id(fire.run_id)
        assert all(run.tags.get(tag) for tag in TAGS), run.tags
        assert run.tags["jobsched/trigger"] == "schedule" and run.tags["jobsched/job"] == "demo_echo"
        assert run.tags["dagster/partition"] == f"{run.tags['jobsched/business_date']}|demo_echo"
        scheduled_partitions.add(run.tags["dagster/partition"])
        record = d.instance().get_run_record_by_id(fire.run_id)
        assert record.create_timestamp >= fire.fire_at.astimezone(UTC)

    # skips say why
    assert {(r.status, r.reason) for r in ledger(d, holiday)} == {("skipped", "holiday")}
    assert {(r.status, r.reason, r.detail) for r in ledger(d, paused)} == {
        ("skipped", "paused", "schedule paused: vendor outage")
    }

    # edits take effect on the next tick: disable the good row, resume the paused one
    d.sql("UPDATE schedules SET enabled = FALSE WHERE id = :s", s=good)
    d.sql("UPDATE schedules SET paused = FALSE, pause_reason = NULL WHERE id = :s", s=paused)
    time.sleep(3)
    boundary = next_minute()
    sleep_until(boundary + timedelta(seconds=1))
    d.wait(
        lambda: any(r.fire_at >= boundary and r.status == "success" for r in ledger(d, paused)),
        stall=180,
        what="the resumed row to fire",
    )
    assert not [r for r in ledger(d, good) if r.fire_at >= boundary]
    assert executions(d) and max(executions(d).values()) == 1

    # a job launched by hand goes through the same queue and daemon
    config = json.dumps(run_config("demo_echo", "demo_echo", date(2026, 11, 20), None))
    subprocess.run(
        [
            str(BIN / "dagster"),
            "job",
            "launch",
            "-w",
            "workspace.yaml",
            "-j",
            "demo_echo",
            "--config-json",
            config,
        ],
        cwd=REPO,
        env=d.env,
        check=True,
        timeout=120,
    )
    d.wait(
        lambda: d.sql("SELECT 1 FROM demo_echo_log WHERE business_date = '2026-11-20'"),
        stall=120,
        what="the hand-launched run to load its business date",
    )
    manual = [r for r in d.instance().get_runs() if r.tags.get("jobsched/trigger") == "manual"]
    assert [(r.tags["jobsched/job"], r.tags["jobsched/business_date"]) for r in manual] == [
        ("demo_echo", "2026-11-20")
    ]
    # the asset's partitions show both: the scheduled business dates and the hand-launched one
    partitions = d.instance().get_materialized_partitions(AssetKey(["warehouse", "demo_echo_log"]))
    assert {"2026-11-20|demo_echo", *scheduled_partitions} <= partitions and scheduled_partitions


def test_sigkill_mid_burst_then_restart_runs_every_fire_exactly_once(deployment: Deployment) -> None:
    d = deployment
    jobs = [f"burst_{i}" for i in range(6)]
    for job in jobs:
        add_job(d, job)
        add_schedule(d, f"burst-{job}", job)
    daemon = d.start_daemon()
    first = d.wait(
        lambda: d.sql("SELECT min(fire_at) FROM fire_ledger")[0][0], stall=180, what="the first burst"
    )
    first = first.astimezone(UTC)
    kill_at = first + timedelta(minutes=1, milliseconds=300)
    sleep_until(kill_at)
    d.kill(daemon)  # SIGKILL while the burst of six fires is being claimed and requested
    time.sleep(2)
    d.start_daemon()
    last = first + timedelta(minutes=2)
    sleep_until(last + timedelta(seconds=5))
    d.sql("UPDATE schedules SET enabled = FALSE")
    expected = {(job, first + timedelta(minutes=m)) for job in jobs for m in range(3)}

    def all_done() -> bool:
        done = d.sql("SELECT count(*) FROM fire_ledger WHERE status = 'success' AND fire_at <= :l", l=last)[
            0
        ][0]
        return done >= len(expected)

    d.wait(all_done, stall=240, interval=2, what="every fire of the three bursts to succeed")
    counts = executions(d)
    assert {key for key in counts if key[1] <= last} == expected
    assert all(counts[key] == 1 for key in expected), {k: v for k, v in counts.items() if v != 1}


# 36 manual fires through one job (one run at a time) drain slowly on a loaded machine; the waits inside
# fail on a stall, so the per-test timeout only has to be a generous ceiling
@pytest.mark.timeout(2400)
def test_two_daemons_side_by_side_execute_each_fire_once_and_lose_none(deployment: Deployment) -> None:
    d = deployment
    jobs = [f"pair_{i}" for i in range(4)]
    for job in jobs:
        add_job(d, job)
        add_schedule(d, f"pair-{job}", job)
    add_job(d, "manual_stream")
    stream = add_schedule(d, "manual-stream", "manual_stream", enabled=True, cron="0 0 1 1 *")
    start = datetime.now(UTC) + timedelta(seconds=30)
    window = timedelta(minutes=3)
    manual_fires = [start + timedelta(seconds=5 * i) for i in range(int(window.total_seconds() // 5))]
    for fire_at in manual_fires:  # a fire every 5 seconds through the trigger path
        d.sql(
            "INSERT INTO fire_ledger"
            " (schedule_id, fire_at, due_at, business_date, job_key, trigger, status, run_key)"
            " VALUES (:s, :f, :f, :b, 'manual_stream', 'manual', 'pending', :k)",
            s=stream,
            f=fire_at,
            b=fire_at.date(),
            k=f"jobsched:{stream}:{fire_at.isoformat()}",
        )
    d.start_daemon()
    d.start_daemon()
    sleep_until(start + window)
    d.sql("UPDATE schedules SET enabled = FALSE")
    end = datetime.now(UTC)
    scheduled = d.sql(
        "SELECT job_key, fire_at FROM fire_ledger WHERE trigger = 'schedule' AND status <> 'skipped'"
    )
    expected = {(job, fire_at.astimezone(UTC)) for job, fire_at in scheduled}
    expected |= {("manual_stream", f) for f in manual_fires}
    minutes = {fire_at for job, fire_at in expected if job != "manual_stream"}
    assert len(minutes) >= 3, "the scheduled rows fired every minute of the window"

    def all_done() -> bool:
        open_count = d.sql(
            "SELECT count(*) FROM fire_ledger WHERE status IN ('pending', 'requested', 'running')"
        )
        return open_count[0][0] == 0

    d.wait(all_done, stall=300, interval=2, what="every fire to finish")
    counts = executions(d)
    missing = expected - set(counts)
    doubled = {k: v for k, v in counts.items() if v > 1}
    assert not missing, f"lost fires: {sorted(missing)[:5]}"
    assert not doubled, f"fires executed twice: {doubled}"
    statuses = Counter(row[0] for row in d.sql("SELECT status FROM fire_ledger WHERE status <> 'skipped'"))
    assert statuses == {"success": len(expected)}, statuses
    runs = d.instance().get_runs()
    duplicate_runs = sum(
        n - 1 for n in Counter(r.tags.get("dagster/run_key") for r in runs).values() if n > 1
    )
    print(
        f"two daemons: {len(expected)} fires, {len(runs)} Dagster runs, {duplicate_runs} duplicate runs "
        f"stopped by the ledger guard, window ended {end.isoformat()}"
    )
