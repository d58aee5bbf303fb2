"""Daemon-level burst: N fires due at one instant on a Postgres instance -> first and last run created.

Usage: .venv/bin/python bench/bench_burst.py [--fires 1000] [--sides jobsched,native] [--lead 100]

Same setup for both sides: deploy/dagster.yaml (all Dagster storage on Postgres, JobschedRunCoordinator,
sensors with 8 submit workers) with `max_concurrent_runs: 0`, so every run stays QUEUED and what is timed is
run creation alone; jobsched's own tables on Postgres too. The sides run one after the other in the same
invocation, each with its own real `dagster-daemon` and only its own code location, so they do not share the
2 cores:

- jobsched: N schedule rows (`M H * * *`, UTC, one job definition) due at the same whole minute;
- native: N Dagster ScheduleDefinitions with the same cron (bench/native_burst_defs.py), by default on
  jobsched's own demo_echo job with the same run config, so both sides create the same runs
  (`--native-job op`: a one-op job without assets, whose runs are cheaper to create).

The due instant is the first whole minute at least `--lead` seconds after the daemon starts (its code
location loads and the engine's first tick plans the rows meanwhile). A side ends when N runs exist or no
run was created for `--stall` seconds. Prints first/last run created (seconds after the due instant) and
runs/s per side, writes bench/results/burst.json. Takes about 10 minutes for 1,000 fires.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import yaml

from jobsched.defs.pgstorage import storage_config

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get(
    "JOBSCHED_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


def instance_yaml(dagster_url: str, storage: str) -> str:
    config = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    pooled = storage_config(dagster_url)
    config["storage"] = pooled if storage == "pooled" else {"postgres": {"postgres_url": dagster_url}}
    config["run_coordinator"]["config"]["max_concurrent_runs"] = 0  # hold every run in the queue
    return yaml.safe_dump(config)


def due_instant(lead: float) -> datetime:
    at = datetime.now(UTC) + timedelta(seconds=lead)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def run_side(
    side: str, fires: int, lead: float, stall: float, work: Path, env: dict[str, str], cap: float | None
) -> dict:
    from dagster import DagsterInstance, RunsFilter

    due = due_instant(lead)
    cron = f"{due.minute} {due.hour} * * *"
    workspace = work / f"workspace_{side}.yaml"
    if side == "jobsched":
        engine = sa.create_engine(env["JOBSCHED_DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM schedules"))
            conn.execute(
                sa.text(
                    "INSERT INTO schedules (name, job_key, cron, timezone)"
                    " VALUES (:n, 'demo_echo', :c, 'UTC')"
                ),
                [{"n": f"burst{i}", "c": cron} for i in range(fires)],
            )
        engine.dispose()
        workspace.write_text(
            "load_from:\n  - python_module:\n      module_name: jobsched.definitions\n"
            "      location_name: jobsched\n"
        )
    else:
        workspace.write_text(
            "load_from:\n"
            f"  - python_file:\n      relative_path: {REPO / 'bench' / 'native_burst_defs.py'}\n"
            "      location_name: native\n"
        )
    side_env = dict(env, BENCH_NATIVE_CRON=cron, BENCH_NATIVE_SCHEDULES=str(fires))
    side_env.setdefault("BENCH_NATIVE_JOB", "jobsched")
    started = datetime.now(UTC)
    log = work / f"daemon_{side}.log"
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        cwd=REPO,
        env=side_env,
        stdout=open(log, "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"{side}: daemon started (log {log}); {fires} fires due at {due.isoformat()}", flush=True)
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    runs_filter = RunsFilter(created_after=started)
    load_at_due = None
    try:
        count, last_change = 0, time.monotonic()
        while count < fires:
            now = datetime.now(UTC)
            if load_at_due is None and now >= due:
                load_at_due = os.getloadavg()
            if cap is not None and (now - due).total_seconds() > cap:
                print(
                    f"{side}: {count} runs {cap:.0f} s after the due instant; stopping (--cap-factor)",
                    flush=True,
                )
                break
            if now < due:
                last_change = time.monotonic()  # the stall is counted from the due instant on
            elif time.monotonic() - last_change > stall:
                print(f"{side}: no run created for {stall} s; stopping at {count} runs", flush=True)
                break
            new_count = instance.get_runs_count(runs_filter)
            if new_count != count:
                count, last_change = new_count, time.monotonic()
            time.sleep(1)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
    records = instance.get_run_records(runs_filter)
    instance.dispose()
    created = sorted(r.create_timestamp.astimezone(UTC) for r in records)
    offsets = [(c - due).total_seconds() for c in created]
    keys = [r.dagster_run.tags.get("dagster/run_key") or r.dagster_run.run_id for r in records]
    return {
        "side": side,
        "due_at": due.isoformat(),
        "requested": fires,
        "runs": len(records),
        "duplicate_run_keys": len(keys) - len(set(keys)),
        "first_s": round(offsets[0], 3) if offsets else None,
        "last_s": round(offsets[-1], 3) if offsets else None,
        "runs_per_s": round(len(offsets) / offsets[-1], 1) if offsets and offsets[-1] > 0 else None,
        "stopped_after_s": round(cap, 1) if cap is not None and len(records) < fires else None,
        "loadavg_at_due": load_at_due,
        "statuses": sorted({r.dagster_run.status.value for r in records}),
    }


def main() -> None:
    # a `kill` of the bench stops its daemon too: SIGTERM becomes SystemExit, so the `finally` blocks run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fires", type=int, default=1000)
    parser.add_argument("--sides", default="jobsched,native")
    parser.add_argument("--lead", type=float, default=100, help="seconds from daemon start to the due minute")
    parser.add_argument("--stall", type=float, default=180)
    parser.add_argument(
        "--cap-factor",
        type=float,
        default=3.0,
        help="stop the native side this many times jobsched's last-run time after the due instant (0: never)",
    )
    parser.add_argument(
        "--cap-seconds", type=float, default=0, help="stop the native side this long after its due instant"
    )
    parser.add_argument(
        "--native-job",
        choices=["jobsched", "op"],
        default="jobsched",
        help="what the native schedules run: jobsched's demo_echo job (the same runs) or a one-op job",
    )
    parser.add_argument(
        "--storage",
        choices=["pooled", "stock"],
        default="pooled",
        help="Dagster's storage for both sides: deploy/dagster.yaml's pooled Postgres storage, or stock "
        "`storage: postgres` (a new connection per call)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jobsched-burst-"))
    home = work / "dagster_home"
    home.mkdir()
    names = {key: f"bench_burst_{os.getpid()}_{key}" for key in ("dagster", "jobsched")}
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    results = []
    try:
        dagster_url = f"{base}/{names['dagster']}".replace("postgresql+psycopg2", "postgresql")
        (home / "dagster.yaml").write_text(instance_yaml(dagster_url, args.storage))
        env = dict(
            os.environ,
            DAGSTER_HOME=str(home),
            JOBSCHED_DATABASE_URL=f"{base}/{names['jobsched']}",
            JOBSCHED_DATA_DIR=str(work),
            BENCH_NATIVE_JOB=args.native_job,
        )
        subprocess.run([str(BIN / "jobsched"), "db", "upgrade"], env=env, check=True, cwd=REPO)
        # both sides' runs name job_key demo_echo; without its row the run coordinator fails them at submit
        jobsched_db = sa.create_engine(env["JOBSCHED_DATABASE_URL"])
        with jobsched_db.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('demo_echo', 'demo_echo')")
            )
        jobsched_db.dispose()
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"load average before: {os.getloadavg()}", flush=True)
        for side in args.sides.split(","):
            done = [r for r in results if r["side"] == "jobsched" and r["runs"] == args.fires]
            cap = (
                args.cap_factor * done[0]["last_s"] if side == "native" and done and args.cap_factor else None
            )
            cap = args.cap_seconds if side == "native" and args.cap_seconds else cap
            results.append(run_side(side, args.fires, args.lead, args.stall, work, env, cap))
            print(json.dumps(results[-1]), flush=True)
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"\n{args.fires} fires due at one instant, Postgres instance, runs held in the queue")
    print(f"native schedules run: {args.native_job} job; Dagster storage: {args.storage} (both sides)")
    print(f"{'side':<10} {'runs':>5} {'first run':>10} {'last run':>10} {'runs/s':>7}  load avg at due")
    for r in results:
        if not r["runs"]:
            print(f"{r['side']:<10} {0:>5} no run created (see its daemon log)  {r['loadavg_at_due']}")
            continue
        last = f"{r['last_s']:>9}s" if not r["stopped_after_s"] else f">{r['stopped_after_s']:>8}s"
        print(
            f"{r['side']:<10} {r['runs']:>5} {r['first_s']:>9}s {last} {r['runs_per_s']:>7}  "
            f"{r['loadavg_at_due']}"
        )
    by_side = {r["side"]: r for r in results}
    if (
        {"jobsched", "native"} <= by_side.keys()
        and by_side["jobsched"]["last_s"]
        and by_side["native"]["runs"]
    ):
        native = by_side["native"]
        if native["stopped_after_s"]:
            print(
                f"last run: native had created {native['runs']} of {args.fires} runs when stopped "
                f"{native['stopped_after_s']} s after the due instant "
                f"({args.cap_factor}x jobsched's last run)"
            )
        elif native["last_s"]:
            print(
                f"last run: jobsched {native['last_s'] / by_side['jobsched']['last_s']:.2f}x sooner "
                "than native"
            )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    measured = {
        "measured_at": datetime.now(UTC).isoformat(),
        "fires": args.fires,
        "native_job": args.native_job,
        "storage": args.storage,
        "sides": results,
    }
    (out / "burst.json").write_text(json.dumps(measured, indent=2))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
