"""Faults under a real dagster-daemon on Postgres: parts SIGKILLed after fire instants, the database away.

Every due fire must execute exactly once, counted from the adapter's side effect (demo_echo_executions).
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from jobsched.store.migrate import upgrade
from jobsched_tests.conftest import create_database, drop_database, require_postgres
from jobsched_tests.reliability.harness import (
    Deployment,
    next_minute,
    sleep_until,
    wait_for_progress,
    write_dagster_home,
)
from jobsched_tests.reliability.pgcluster import PgCluster
from jobsched_tests.reliability.trials import (
    FAST_MONITORING,
    TRIAL_ENV,
    add_job,
    add_minutely,
    executions,
    executions_safe,
    run_kill_trials,
)

pytestmark = [pytest.mark.daemon, pytest.mark.slow, pytest.mark.postgres]


@pytest.mark.timeout(2400)  # progress-based waits inside; this is only a ceiling
def test_kill_points_after_fire_instants_lose_and_double_no_fire(deployment: Deployment) -> None:
    d = deployment
    write_dagster_home(d.home, _dagster_url(d), FAST_MONITORING)
    d.extra_env.update(TRIAL_ENV)
    report = run_kill_trials(d, kills=8)
    print("\n".join(report.lines()))
    assert len(report.kills) == 8 and {k.kind for k in report.kills} == {
        "daemon",
        "code_server",
        "run_worker",
        "group",
    }
    assert report.due >= 16
    assert not report.lost, report.lines()
    assert not report.duplicated, report.lines()
    assert not report.stuck, report.lines()
    assert report.once == report.due


def _dagster_url(d: Deployment) -> str:
    import yaml

    return yaml.safe_load((d.home / "dagster.yaml").read_text())["storage"]["custom"]["config"][
        "postgres_url"
    ]


def test_database_away_60s_across_a_fire_instant_loses_no_fire(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """jobsched's tables (and the warehouse) live on their own Postgres cluster, stopped for 60 s across a
    fire instant; Dagster's storage stays up (on the shared server): the daemon keeps ticking the sensor."""
    require_postgres()
    try:
        cluster = PgCluster()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot create a Postgres cluster: {exc}")
    d: Deployment | None = None
    dagster_url = create_database("dagster_outage")
    try:
        cluster.start()
        jobsched_url = cluster.create_database("jobsched")
        upgrade(jobsched_url)
        home = tmp_path / "dagster_home"
        write_dagster_home(home, dagster_url, FAST_MONITORING)
        d = Deployment(home=home, jobsched_url=jobsched_url, extra_env=dict(TRIAL_ENV))
        jobs = [f"outage_{i}" for i in range(3)]
        for job in jobs:
            add_job(d, job)
            add_minutely(d, f"outage-{job}", job)  # default misfire policy: fire_once within 60 s
        d.start_daemon()
        wait_for_progress(lambda: len(executions_safe(d)), bool, stall=240, what="the first execution")
        first = min(at for (_job, at) in executions(d))
        instant = next_minute(datetime.now(UTC) + timedelta(seconds=30))
        sleep_until(instant - timedelta(seconds=20))
        d.db.dispose()
        cluster.stop()
        down_at = datetime.now(UTC)
        time.sleep(60)
        cluster.start()
        back_at = datetime.now(UTC)
        claimed = wait_for_progress(
            lambda: _claims_after(d, back_at), bool, stall=300, what="the engine to tick again", interval=0.5
        )
        recovery = (claimed - back_at).total_seconds()
        sleep_until(instant + timedelta(minutes=1, seconds=20))
        d.sql("UPDATE schedules SET enabled = FALSE")
        end = datetime.now(UTC)

        def measure() -> tuple:
            open_rows = d.sql(  # type: ignore[union-attr]
                "SELECT count(*) FROM fire_ledger WHERE status IN ('pending', 'requested', 'running')"
            )[0][0]
            return (sum(executions_safe(d).values()), open_rows)  # type: ignore[arg-type]

        wait_for_progress(measure, lambda m: m[1] == 0, stall=300, what="every fire to finish", interval=3)
        counts = executions(d)
        skipped = {
            (job, at.astimezone(UTC)): (reason, detail)
            for job, at, reason, detail in d.sql(
                "SELECT job_key, fire_at, reason, detail FROM fire_ledger WHERE status = 'skipped'"
            )
        }
        minutes = [first + timedelta(minutes=m) for m in range(int((end - first).total_seconds() // 60) + 1)]
        due = [(job, m) for job in jobs for m in minutes if m < end - timedelta(seconds=15)]
        lost = [k for k in due if counts.get(k, 0) == 0 and skipped.get(k, ("",))[0] != "misfire"]
        doubled = {k: n for k, n in counts.items() if n > 1}
        misfires = [k for k in due if k in skipped]
        print(
            f"database away {down_at:%H:%M:%S}-{back_at:%H:%M:%S} across the fire at {instant:%H:%M}: "
            f"{len(due)} fires due, {sum(1 for k in due if counts.get(k) == 1)} executed once, "
            f"{len(misfires)} skipped as misfire, {len(lost)} lost, {len(doubled)} duplicated; "
            f"engine ticked again {recovery:.1f} s after the database was back"
        )
        assert not lost, (lost, skipped)
        assert not doubled, doubled
        assert all(skipped[k][0] == "misfire" for k in misfires), misfires
        assert all(counts.get((job, instant)) == 1 for job in jobs), "the fire due while it was away ran"
        quarantined = d.sql("SELECT schedule_id, error FROM schedule_state WHERE error IS NOT NULL")
        assert not quarantined, quarantined
        logs = d.logs(tail=None)
        assert "jobsched database unreachable since" in logs and "reachable again" in logs, logs[-3000:]
    finally:
        if d is not None:
            d.stop_all()
            print(d.logs()[-2000:])
        cluster.close()
        drop_database(dagster_url)


def _claims_after(d: Deployment, after: datetime) -> datetime | None:
    """When the engine first claimed a fire after `after` (the database answers again)."""
    try:
        row = d.sql("SELECT min(claimed_at) FROM fire_ledger WHERE claimed_at >= :a", a=after)
    except Exception:  # noqa: BLE001 - still starting up
        return None
    return row[0][0].astimezone(UTC) if row and row[0][0] else None
