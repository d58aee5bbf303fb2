"""Fire lag (due instant -> Dagster run created) for jobsched vs a native ScheduleDefinition, same daemon.

Usage: .venv/bin/python bench/bench_fire_lag.py [--fires 30] [--idle 10000]
Runs a real dagster-daemon on the embedded default (SQLite storage) with two code locations: jobsched
(one `* * * * *` row for demo_echo) and bench/native_defs.py (a `* * * * *` ScheduleDefinition). Both fire
once a minute, so N fires take N minutes. `--idle N` adds N schedule rows that are not due during the run
(a daily fire 12 hours away), to show the lag does not follow the table size. Prints p50/p90/p99/max per
side and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NATIVE_DUE_TAG = ".dagster/scheduled_execution_time"  # set by Dagster on scheduled runs


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize(name: str, lags: list[float]) -> dict:
    return {
        "name": name,
        "fires": len(lags),
        "p50_s": round(percentile(lags, 50), 3),
        "p90_s": round(percentile(lags, 90), 3),
        "p99_s": round(percentile(lags, 99), 3),
        "max_s": round(max(lags), 3),
        "mean_s": round(statistics.fmean(lags), 3),
    }


def main() -> None:
    # a `kill` of the bench stops its daemon too: SIGTERM becomes SystemExit, so the `finally` blocks run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser()
    parser.add_argument("--fires", type=int, default=30)
    parser.add_argument("--idle", type=int, default=0, help="idle schedule rows beside the measured one")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jobsched-bench-"))
    home = work / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    (work / "workspace.yaml").write_text(
        "load_from:\n"
        "  - python_module:\n      module_name: jobsched.definitions\n      location_name: jobsched\n"
        f"  - python_file:\n      relative_path: {REPO / 'bench' / 'native_defs.py'}\n"
        "      location_name: native\n"
    )
    db_url = f"sqlite:///{work / 'jobsched.db'}"
    env = dict(os.environ, DAGSTER_HOME=str(home), JOBSCHED_DATABASE_URL=db_url, JOBSCHED_DATA_DIR=str(work))
    subprocess.run([str(BIN / "jobsched"), "db", "upgrade"], env=env, check=True, cwd=REPO)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('demo_echo', 'demo_echo')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO schedules (name, job_key, cron, timezone)"
                " VALUES ('bench', 'demo_echo', '* * * * *', 'UTC')"
            )
        )
        hour = (datetime.now(UTC).hour + 12) % 24
        idle = [{"n": f"idle{i}", "c": f"{i % 60} {hour} * * *"} for i in range(args.idle)]
        for start in range(0, len(idle), 5000):
            conn.execute(
                sa.text("INSERT INTO schedules (name, job_key, cron) VALUES (:n, 'demo_echo', :c)"),
                idle[start : start + 5000],
            )
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(work / "workspace.yaml")],
        cwd=REPO,
        env=env,
        stdout=open(work / "daemon.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"daemon started (logs: {work / 'daemon.log'}); waiting for {args.fires} fires of each kind")
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterInstance

    instance = DagsterInstance.from_config(str(home))
    try:
        while True:
            records = instance.get_run_records()
            jobsched = [r for r in records if r.dagster_run.tags.get("jobsched/fire_time")]
            native = [r for r in records if r.dagster_run.tags.get(NATIVE_DUE_TAG)]
            if min(len(jobsched), len(native)) >= args.fires + 1:
                break
            time.sleep(5)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)

    def lags(records: list, tag: str) -> list[float]:
        # the first fire of each side is discarded: it may come while code locations are still loading
        ordered = sorted(records, key=lambda r: r.create_timestamp)[1:]
        return [
            (
                r.create_timestamp - datetime.fromisoformat(r.dagster_run.tags[tag]).astimezone(UTC)
            ).total_seconds()
            for r in ordered
        ]

    results = {
        "measured_at": datetime.now(UTC).isoformat(),
        "storage": "embedded default (SQLite under DAGSTER_HOME, jobsched tables in SQLite)",
        "idle_schedules": args.idle,
        "jobsched": summarize("jobsched engine sensor", lags(jobsched, "jobsched/fire_time")),
        "native": summarize("Dagster ScheduleDefinition", lags(native, NATIVE_DUE_TAG)),
    }
    print(f"idle schedules: {args.idle}; load average: {os.getloadavg()}")
    print(f"{'':28} {'fires':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    for key in ("jobsched", "native"):
        r = results[key]
        print(
            f"{r['name']:28} {r['fires']:5d} {r['p50_s']:6.3f}s {r['p90_s']:6.3f}s "
            f"{r['p99_s']:6.3f}s {r['max_s']:6.3f}s"
        )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "fire_lag.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
