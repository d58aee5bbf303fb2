"""Engine tick cost with nothing due: CPU, wall time, peak RSS and statements per tick, by table size.

    .venv/bin/python bench/bench_tick_cost.py [--sizes 1000,10000,100000] [--backends sqlite,postgres]
        [--baseline-code /work/main --baseline-sizes 1000]
        [--ledger-rows 1000000]

Each (code, backend, size) runs in fresh processes: one fills a fresh database (cron rows on XNYS, XLON,
XTKS and no calendar, none due for hours), a second one runs the first tick (plans every row, as after a
deploy) and then the measured tick 5 s later with nothing due. The baseline is the same measurement on
another checkout's code (e.g. main before issue 9), in the same run. `--ledger-rows` adds that many fire
ledger rows first and also times one schedule's latest 50 fires through the service layer and through the
HTTP API (`GET /schedules/1/fires?limit=50`, in-process client). Prints a table
and JSON lines; not a pass/fail test (goal: 100,000 schedules <= 1 s CPU and <= 500 MB RSS, flat in size).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
PG_ADMIN_URL = os.environ.get(
    "JOBSCHED_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
CALENDARS = ["XNYS", "XLON", "XTKS", None]

SETUP = r"""
import sys, random
from datetime import UTC, datetime, timedelta
import sqlalchemy as sa
from jobsched.store.migrate import upgrade
url, size, ledger_rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
upgrade(url)
engine = sa.create_engine(url)
hour = (datetime.now(UTC).hour + 12) % 24
cals = [None if c == "None" else c for c in sys.argv[4].split(",")]
with engine.begin() as conn:
    conn.execute(sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('demo', 'demo_echo')"))
    cron = sys.argv[5] if len(sys.argv) > 5 else ""
    rows = [
        {"n": f"s{i}", "c": cron or f"{i % 60} {hour} * * 1-5", "cal": None if cron else cals[i % len(cals)]}
        for i in range(size)
    ]
    for start in range(0, size, 5000):
        conn.execute(
            sa.text("INSERT INTO schedules (name, job_key, cron, calendar) VALUES (:n, 'demo', :c, :cal)"),
            rows[start : start + 5000],
        )
    base = datetime(2020, 1, 1, tzinfo=UTC)
    for start in range(0, ledger_rows, 20000):
        batch = [
            {"s": 1 + (i % size), "f": base + timedelta(minutes=i), "st": "success"}
            for i in range(start, min(ledger_rows, start + 20000))
        ]
        conn.execute(
            sa.text(
                "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, job_key, status, attempts) "
                "VALUES (:s, :f, :f, 'demo', :st, 1)"
            ),
            batch,
        )
"""

MEASURE = r"""
import json, resource, sys, time
from datetime import timedelta
import sqlalchemy as sa
from sqlalchemy import event
from jobsched.engine import tick
from jobsched.utc import utc_now

class NoRuns:
    def run_id_for_key(self, run_key): return None
    def has_active_run(self, job_key): return False

url, ledger_rows = sys.argv[1], int(sys.argv[2])
engine = sa.create_engine(url)
counts = {"statements": 0, "transactions": 0}
event.listen(
    engine, "before_cursor_execute", lambda *a: counts.__setitem__("statements", counts["statements"] + 1)
)
event.listen(
    engine, "begin", lambda *a: counts.__setitem__("transactions", counts["transactions"] + 1)
)
now = utc_now()
started_cpu, started = time.process_time(), time.perf_counter()
tick(engine, now, NoRuns())
first = {"cpu": time.process_time() - started_cpu, "wall": time.perf_counter() - started}
counts.update(statements=0, transactions=0)
started_cpu, started = time.process_time(), time.perf_counter()
result = tick(engine, now + timedelta(seconds=5), NoRuns())
out = {
    "first_tick_cpu": round(first["cpu"], 3),
    "cpu": round(time.process_time() - started_cpu, 3),
    "wall": round(time.perf_counter() - started, 3),
    "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "statements": counts["statements"],
    "transactions": counts["transactions"],
    "requests": len(result.requests),
}
if ledger_rows:
    from jobsched.store import ledger
    with engine.connect() as conn:
        ledger.entries(conn, schedule_id=1, limit=50)
        started = time.perf_counter()
        for _ in range(20):
            ledger.entries(conn, schedule_id=1, limit=50)
        out["latest50_ms"] = round((time.perf_counter() - started) / 20 * 1000, 2)
    # the same page through the HTTP API (in-process ASGI client: routing, validation, JSON included)
    from fastapi.testclient import TestClient
    from jobsched.api.app import create_app
    from jobsched.api.auth import AuthSettings
    client = TestClient(create_app(url, auth=AuthSettings(token=None, open_reads=True)))
    assert len(client.get("/schedules/1/fires?limit=50").json()["items"]) == 50
    started = time.perf_counter()
    for _ in range(20):
        assert client.get("/schedules/1/fires?limit=50").status_code == 200
    out["api_latest50_ms"] = round((time.perf_counter() - started) / 20 * 1000, 2)
print(json.dumps(out))
"""


BURST = r"""
import json, sys, time
from datetime import timedelta
import sqlalchemy as sa
from jobsched.engine import tick
from jobsched.utc import utc_now

class NoRuns:
    def run_id_for_key(self, run_key): return None
    def has_active_run(self, job_key): return False

engine = sa.create_engine(sys.argv[1])
now = utc_now().replace(second=0, microsecond=0) + timedelta(minutes=1)
tick(engine, now, NoRuns())  # plans every row; the next minute is the burst
started_cpu, started = time.process_time(), time.perf_counter()
result = tick(engine, now + timedelta(minutes=1), NoRuns())
print(json.dumps({
    "burst_requests": len(result.requests),
    "burst_wall": round(time.perf_counter() - started, 3),
    "burst_cpu": round(time.process_time() - started_cpu, 3),
}))
"""


def _python_for(code: Path) -> tuple[str, dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(code))
    return sys.executable, env


def _run(code: Path, script: str, *args: str) -> str:
    python, env = _python_for(code)
    done = subprocess.run(
        [python, "-c", script, *args], env=env, cwd=str(code), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _database(backend: str, workdir: Path, label: str) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / (label + '.db')}", None
    import sqlalchemy as sa

    name = f"bench_tick_{os.getpid()}_{label}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def measure(code: Path, backend: str, size: int, ledger_rows: int, workdir: Path, label: str) -> dict:
    url, drop = _database(backend, workdir, label)
    try:
        cals = ",".join(str(c) for c in CALENDARS)
        _run(code, SETUP, url, str(size), str(ledger_rows), cals)
        return json.loads(_run(code, MEASURE, url, str(ledger_rows)))
    finally:
        if drop:
            drop()  # type: ignore[operator]


def burst(code: Path, backend: str, size: int, workdir: Path, label: str) -> dict:
    url, drop = _database(backend, workdir, label)
    try:
        _run(code, SETUP, url, str(size), "0", "None", "* * * * *")
        return json.loads(_run(code, BURST, url))
    finally:
        if drop:
            drop()  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--baseline-code", default="", help="a checkout whose tick is the baseline")
    parser.add_argument("--baseline-sizes", default="1000")
    parser.add_argument("--ledger-rows", type=int, default=0)
    parser.add_argument("--burst", type=int, default=0, help="instead: N fires due at one instant, one tick")
    args = parser.parse_args()
    if args.burst:
        codes = [("baseline", Path(args.baseline_code))] if args.baseline_code else []
        with tempfile.TemporaryDirectory() as tmp:
            for backend in args.backends.split(","):
                for label, code in [*codes, ("this", ROOT)]:
                    figures = burst(code, backend, args.burst, Path(tmp), f"burst{label}")
                    print(
                        f"{label:<9} {backend:<9} {args.burst} fires due at once: tick returned "
                        f"{figures['burst_requests']} requests after {figures['burst_wall']} s "
                        f"(CPU {figures['burst_cpu']} s)",
                        flush=True,
                    )
                    print("JSON " + json.dumps({"code": label, "backend": backend, **figures}), flush=True)
        return
    runs = [("this", ROOT, int(s)) for s in args.sizes.split(",")]
    if args.baseline_code:
        runs = [("baseline", Path(args.baseline_code), int(s)) for s in args.baseline_sizes.split(",")] + runs
    print(f"load average before: {os.getloadavg()}", flush=True)
    print(
        f"{'code':<9} {'backend':<9} {'schedules':>9} {'ledger':>9} {'CPU s':>7} {'wall s':>7} "
        f"{'RSS MB':>7} {'stmts':>6} {'txns':>5} {'1st tick CPU':>12} {'latest50 ms':>11} {'API ms':>7}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for index, (label, code, size) in enumerate(runs):
                ledger_rows = args.ledger_rows if label == "this" else 0
                figures = measure(code, backend, size, ledger_rows, Path(tmp), f"{label}{index}")
                print(
                    f"{label:<9} {backend:<9} {size:>9} {ledger_rows:>9} {figures['cpu']:>7} "
                    f"{figures['wall']:>7} {figures['rss_mb']:>7} {figures['statements']:>6} "
                    f"{figures['transactions']:>5} {figures['first_tick_cpu']:>12} "
                    f"{figures.get('latest50_ms', ''):>11} {figures.get('api_latest50_ms', ''):>7}",
                    flush=True,
                )
                print(
                    "JSON "
                    + json.dumps(
                        {
                            "code": label,
                            "backend": backend,
                            "schedules": size,
                            "ledger_rows": ledger_rows,
                            **figures,
                        }
                    ),
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
