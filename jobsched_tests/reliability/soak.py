"""`make soak`: long fault trials, real dagster-daemon processes on the local Postgres (not in `make test`).

    python -m jobsched_tests.reliability.soak [--kills 100] [--two-daemon-minutes 10] [--seed N]

Part 1: kill trials (see trials.py): SIGKILL the daemon, the code server, a run worker or the whole process
group a few random seconds after fire instants, restart, count executions from the adapter's side effect.
Part 2: two daemons on one instance for N minutes, fires every minute and a manual fire every 10 s.
Prints due / executed once / lost / duplicated / stuck and the recovery times.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobsched.store.migrate import upgrade
from jobsched_tests.conftest import create_database, drop_database, postgres_reachable
from jobsched_tests.reliability.harness import Deployment, sleep_until, wait_for_progress, write_dagster_home
from jobsched_tests.reliability.trials import (
    FAST_MONITORING,
    TRIAL_ENV,
    add_job,
    add_minutely,
    add_pending,
    executions,
    executions_safe,
    run_kill_trials,
)


def deployment(root: Path, name: str) -> tuple[Deployment, list[str]]:
    jobsched_url = create_database(f"jobsched_soak_{name}")
    dagster_url = create_database(f"dagster_soak_{name}")
    upgrade(jobsched_url)
    home = root / name
    write_dagster_home(home, dagster_url, FAST_MONITORING)
    return Deployment(home=home, jobsched_url=jobsched_url, extra_env=dict(TRIAL_ENV)), [
        jobsched_url,
        dagster_url,
    ]


def kill_trials(root: Path, kills: int, seed: int | None) -> bool:
    d, urls = deployment(root, "kills")
    started = time.monotonic()
    try:
        report = run_kill_trials(d, kills=kills, seed=seed, settle_stall=600)
    finally:
        d.stop_all()
        for url in urls:
            drop_database(url)
    print(f"== kill trials ({(time.monotonic() - started) / 60:.1f} min)")
    print("\n".join(report.lines()), flush=True)
    return not (report.lost or report.duplicated or report.stuck)


def two_daemons(root: Path, minutes: float) -> bool:
    d, urls = deployment(root, "pair")
    try:
        jobs = [f"pair_{i}" for i in range(4)]
        for job in jobs:
            add_job(d, job)
            add_minutely(d, f"pair-{job}", job, misfire_policy="fire_all", misfire_grace_seconds=3600)
        add_job(d, "pair_manual")
        manual = add_minutely(d, "pair-manual", "pair_manual", cron="0 0 1 1 *")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=40)
        window = timedelta(minutes=minutes)
        manual_fires = [start + timedelta(seconds=10 * i) for i in range(int(window.total_seconds() // 10))]
        for fire_at in manual_fires:
            add_pending(d, manual, "pair_manual", fire_at)
        d.start_daemon()
        d.start_daemon()
        sleep_until(start + window)
        d.sql("UPDATE schedules SET enabled = FALSE")
        scheduled = d.sql("SELECT job_key, fire_at FROM fire_ledger WHERE trigger = 'schedule'")
        due = {(job, at.astimezone(UTC)) for job, at in scheduled} | {
            ("pair_manual", f) for f in manual_fires
        }
        stuck = []
        try:
            wait_for_progress(
                lambda: (
                    sum(executions_safe(d).values()),
                    d.sql(
                        "SELECT count(*) FROM fire_ledger WHERE status IN ('pending','requested','running')"
                    )[0][0],
                ),
                lambda m: m[1] == 0,
                stall=600,
                what="every fire to finish",
                interval=3,
            )
        except AssertionError as exc:
            stuck.append(str(exc))
        counts = executions(d)
        lost = [k for k in due if k not in counts]
        doubled = {k: n for k, n in counts.items() if n > 1}
        instance = d.instance()
        runs = instance.get_runs()
        instance.dispose()
        duplicate_runs = sum(
            n - 1 for n in Counter(r.tags.get("dagster/run_key") for r in runs).values() if n > 1
        )
        lags = _lags(d)
        print(f"== two daemons, one instance, {minutes:g} min")
        print(
            f"due {len(due)} | executed once {sum(1 for k in due if counts.get(k) == 1)} | "
            f"lost {len(lost)} | "
            f"duplicated {len(doubled)} | stuck {len(stuck)} | Dagster runs {len(runs)} "
            f"({duplicate_runs} second runs of a run_key, stopped by the fire guard)"
        )
        if lags:
            print(f"due -> executed: p50 {lags[len(lags) // 2]:.1f} s, max {lags[-1]:.1f} s", flush=True)
        return not (lost or doubled or stuck)
    finally:
        d.stop_all()
        for url in urls:
            drop_database(url)


def _lags(d: Deployment) -> list[float]:
    rows = d.sql(
        "SELECT l.due_at, min(e.executed_at) FROM fire_ledger l JOIN demo_echo_executions e"
        " ON e.run_id = l.run_id GROUP BY l.id, l.due_at"
    )
    return sorted((executed - due).total_seconds() for due, executed in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--two-daemon-minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    problem = postgres_reachable()
    if problem:
        print(f"soak needs the local Postgres: {problem}")
        return 2
    ok = True
    with tempfile.TemporaryDirectory(prefix="jobsched_soak_") as tmp:
        if args.kills:
            ok &= kill_trials(Path(tmp), args.kills, args.seed)
        if args.two_daemon_minutes:
            ok &= two_daemons(Path(tmp), args.two_daemon_minutes)
    print("soak:", "0 lost, 0 duplicated, 0 stuck" if ok else "FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
