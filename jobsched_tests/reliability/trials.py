"""Kill trials: SIGKILL parts of a running deployment just after fire instants, restart, count executions.

Used by the in-suite test (8 kill points) and by `make soak` (100+). A fire counts as executed from the
adapter's own side effect (demo_echo_executions rows), never from Dagster's run rows.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jobsched_tests.reliability.harness import (
    Deployment,
    code_servers,
    run_workers,
    sleep_until,
    wait_for_progress,
)

KINDS = ("daemon", "code_server", "run_worker", "group")
# shorter than the defaults so a trial sees a dead worker ended within a minute, not an hour
FAST_MONITORING = {"run_monitoring": {"poll_interval_seconds": 5, "start_timeout_seconds": 90}}
TRIAL_ENV = {"JOBSCHED_MAX_RUNTIME_SECONDS": "45", "JOBSCHED_CLAIM_LEASE_SECONDS": "20"}
ACTIVE = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


@dataclass
class Kill:
    kind: str
    instant: datetime
    offset: float
    killed: list[int]
    recovered_s: float | None = None


@dataclass
class Report:
    due: int = 0
    once: int = 0
    lost: list[tuple[str, datetime]] = field(default_factory=list)
    duplicated: dict[tuple[str, datetime], int] = field(default_factory=dict)
    stuck: list[str] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    retried_runs: int = 0
    jobsched_reruns: int = 0

    def lines(self) -> list[str]:
        recoveries = sorted(k.recovered_s for k in self.kills if k.recovered_s is not None)
        by_kind = Counter(k.kind for k in self.kills)
        out = [
            f"kill trials: {len(self.kills)} ({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))})",
            f"due {self.due} | executed once {self.once} | lost {len(self.lost)} | "
            f"duplicated {len(self.duplicated)} | stuck {len(self.stuck)} | "
            f"Dagster run retries {self.retried_runs} | jobsched re-runs {self.jobsched_reruns}",
        ]
        if recoveries:
            p50 = recoveries[len(recoveries) // 2]
            out.append(
                f"recovery (kill -> that instant's fires executed): min {recoveries[0]:.1f} s, "
                f"p50 {p50:.1f} s, max {recoveries[-1]:.1f} s"
            )
        for kill in self.kills:
            out.append(
                f"  {kill.instant:%H:%M:%S}+{kill.offset:.1f}s {kill.kind:<11} pids {kill.killed} "
                f"recovered {'-' if kill.recovered_s is None else f'{kill.recovered_s:.1f} s'}"
            )
        out += [f"  LOST {job} {at.isoformat()}" for job, at in self.lost[:10]]
        out += [f"  DUPLICATED {k[0]} {k[1].isoformat()} x{n}" for k, n in list(self.duplicated.items())[:10]]
        out += [f"  STUCK {s}" for s in self.stuck[:10]]
        return out


def add_job(d: Deployment, job_key: str) -> None:
    d.sql("INSERT INTO job_definitions (job_key, adapter, params) VALUES (:k, 'demo_echo', '{}')", k=job_key)


def add_minutely(d: Deployment, name: str, job_key: str, **columns: object) -> int:
    values = {"cron": "* * * * *", "timezone": "UTC"} | columns
    d.sql(
        f"INSERT INTO schedules (name, job_key, {', '.join(values)}) "
        f"VALUES (:name, :job_key, {', '.join(':' + c for c in values)})",
        name=name,
        job_key=job_key,
        **values,
    )
    return d.sql("SELECT id FROM schedules WHERE name = :n", n=name)[0][0]


def add_pending(d: Deployment, schedule_id: int, job_key: str, fire_at: datetime) -> None:
    """A manual fire due at `fire_at` (the trigger path), so kill points also fall between minutes."""
    d.sql(
        "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, business_date, job_key, trigger, status,"
        " run_key) VALUES (:s, :f, :f, :b, :j, 'manual', 'pending', :k)",
        s=schedule_id,
        f=fire_at,
        b=fire_at.date(),
        j=job_key,
        k=f"jobsched:{schedule_id}:{fire_at.isoformat()}",
    )


def executions(d: Deployment) -> Counter:
    rows = d.sql("SELECT job_key, fire_time FROM demo_echo_executions WHERE fire_time IS NOT NULL")
    return Counter((job, datetime.fromisoformat(at).astimezone(UTC)) for job, at in rows)


def executions_safe(d: Deployment) -> Counter:
    try:
        return executions(d)
    except Exception:  # noqa: BLE001 - the table appears with the first execution
        return Counter()


def next_half_minute(after: datetime) -> datetime:
    base = after.replace(second=0, microsecond=0)
    for step in (30, 60, 90):
        candidate = base + timedelta(seconds=step)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable")


def _kill(d: Deployment, daemon: subprocess.Popen, kind: str, rng: random.Random) -> tuple[list[int], bool]:
    """SIGKILL one part; returns the pids killed and whether a new daemon must be started."""
    if kind == "daemon":
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait(timeout=30)
        return [daemon.pid], True
    if kind == "group":
        d.kill(daemon)
        return [daemon.pid], True
    if kind == "code_server":
        pids = code_servers(daemon)
    else:  # a run worker: wait for one to exist (slow to spawn on a loaded machine), kill one at random
        deadline = time.monotonic() + 60
        pids = run_workers(daemon)
        while not pids and time.monotonic() < deadline:
            time.sleep(0.2)
            pids = run_workers(daemon)
        pids = [rng.choice(pids)] if pids else []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids, False


def run_kill_trials(
    d: Deployment, kills: int, jobs: int = 3, seed: int | None = None, settle_stall: float = 300
) -> Report:
    """Fires every 30 s (scheduled on the minute, manual on the half minute); one kill after each of `kills`
    instants, cycling daemon / code server / run worker / whole group; then wait for everything to finish."""
    rng = random.Random(seed)
    job_keys = [f"kill_{i}" for i in range(jobs)]
    for job in job_keys:
        add_job(d, job)
        add_minutely(d, f"kill-{job}", job, misfire_policy="fire_all", misfire_grace_seconds=3600)
    add_job(d, "kill_manual")
    manual = add_minutely(d, "kill-manual", "kill_manual", cron="0 0 1 1 *")
    start = datetime.now(UTC)
    first_half = (start + timedelta(seconds=20)).replace(second=30, microsecond=0)
    if first_half < start + timedelta(seconds=20):
        first_half += timedelta(minutes=1)
    manual_fires = [first_half + timedelta(minutes=m) for m in range(kills + 4)]
    for fire_at in manual_fires:
        add_pending(d, manual, "kill_manual", fire_at)

    report = Report()
    daemon = d.start_daemon()
    wait_for_progress(lambda: len(executions_safe(d)), lambda n: n > 0, stall=240, what="the first execution")
    first_minute = min(at for (job, at) in executions(d) if job in job_keys)
    instant = next_half_minute(datetime.now(UTC) + timedelta(seconds=3))
    for index in range(kills):
        kind = KINDS[index % len(KINDS)]
        offset = rng.uniform(0.2, 5.0)
        sleep_until(instant + timedelta(seconds=offset))
        killed, restart = _kill(d, daemon, kind, rng)
        report.kills.append(Kill(kind, instant, offset, killed))
        if restart:
            time.sleep(rng.uniform(0.0, 5.0))
            daemon = d.start_daemon()
        instant = next_half_minute(datetime.now(UTC) + timedelta(seconds=12))
    # one clean instant after the last kill, then stop planning new fires
    sleep_until(instant + timedelta(seconds=20))
    d.sql("UPDATE schedules SET enabled = FALSE")
    end = datetime.now(UTC)
    minutes = []
    at = first_minute
    while at < end - timedelta(seconds=20):
        minutes.append(at)
        at += timedelta(minutes=1)
    due = {(job, m) for job in job_keys for m in minutes}
    due |= {("kill_manual", f) for f in manual_fires if f < end}
    # fires past `end` that were pending stay unrun: drop them so they do not count as stuck
    d.sql("DELETE FROM fire_ledger WHERE status = 'pending' AND due_at >= :e", e=end)

    def measure() -> tuple:
        done = executions_safe(d)
        open_rows = d.sql(
            "SELECT count(*) FROM fire_ledger WHERE status IN ('pending', 'requested', 'running')"
        )
        return (sum(done.values()), open_rows[0][0], _active_runs(d))

    try:
        wait_for_progress(
            measure,
            lambda m: m[1] == 0 and m[2] == 0 and due <= set(executions_safe(d)),
            stall=settle_stall,
            what="every due fire to finish",
            interval=3,
        )
    except AssertionError as exc:
        print(f"settle: {exc}")  # lost or stuck fires are counted below
    counts = executions(d)
    report.due = len(due)
    report.once = sum(1 for key in due if counts.get(key) == 1)
    report.lost = sorted(key for key in due if key not in counts)
    report.duplicated = {key: n for key, n in counts.items() if n > 1}
    report.stuck += [
        f"ledger {row[0]} {row[1].isoformat()} {row[2]}"
        for row in d.sql(
            "SELECT job_key, fire_at, status FROM fire_ledger"
            " WHERE status IN ('pending', 'requested', 'running')"
        )
    ]
    active = _active_runs(d)
    report.stuck += [f"{active} Dagster runs still queued or running"] if active else []
    report.retried_runs, report.jobsched_reruns = _retried_runs(d)
    executed_at = _executed_at(d)
    for kill in report.kills:
        keys = [key for key in due if key[1] == kill.instant]
        times = [executed_at.get(key) for key in keys]
        if keys and all(times):
            late = max(times) - (kill.instant + timedelta(seconds=kill.offset))  # type: ignore[type-var, operator]
            kill.recovered_s = max(0.0, late.total_seconds())
    return report


def _executed_at(d: Deployment) -> dict[tuple[str, datetime], datetime]:
    rows = d.sql(
        "SELECT job_key, fire_time, min(executed_at) FROM demo_echo_executions GROUP BY job_key, fire_time"
    )
    return {(job, datetime.fromisoformat(at).astimezone(UTC)): when.astimezone(UTC) for job, at, when in rows}


def _active_runs(d: Deployment) -> int:
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus[s] for s in ACTIVE]
    instance = d.instance()
    try:
        return len(instance.get_run_records(RunsFilter(statuses=statuses)))
    finally:
        instance.dispose()


def _retried_runs(d: Deployment) -> tuple[int, int]:
    instance = d.instance()
    try:
        runs = instance.get_runs()
    finally:
        instance.dispose()
    dagster = sum(1 for run in runs if run.tags.get("dagster/retry_number"))
    return dagster, sum(1 for run in runs if ":attempt" in run.tags.get("dagster/run_key", ""))
