"""Retention purge on Postgres: housekeeping's bounded batches vs one unbatched DELETE, in one run.

    .venv/bin/python bench/bench_retention.py [--ledger-rows 300000] [--slices 10] [--slice-rows 50000]

Fills a database created for the run (dropped after it) with finished fire-ledger entries spread over 400 days
and instrument snapshots (one slice per business date), then purges everything older than the cut twice:
with jobsched's batched purge (10,000 rows per transaction) and, on an identical copy, with a single DELETE.
Prints rows/s for each and how long each transaction holds its locks (mean per batch vs the one
DELETE). Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from jobsched import settings
from jobsched.adapters.housekeeping import purge_snapshots
from jobsched.adapters.instrument_master import instruments
from jobsched.store.migrate import upgrade
from jobsched.store.retention import purge_ledger

TODAY = date(2026, 11, 20)
BATCH = 10_000


def fill(engine: sa.Engine, ledger_rows: int, slices: int, slice_rows: int) -> None:
    instruments.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, status, reason)"
                " SELECT g % 500, ts, ts, CASE WHEN g % 10 = 0 THEN 'skipped' ELSE 'success' END,"
                "        CASE WHEN g % 10 = 0 THEN 'holiday' END"
                " FROM generate_series(1, :n) AS g,"
                "      LATERAL (SELECT :today - (g * interval '400 days' / :n) AS ts) t"
            ),
            {"n": ledger_rows, "today": datetime(2026, 11, 20, tzinfo=UTC)},
        )
        for day in range(slices):
            conn.execute(
                sa.text(
                    "INSERT INTO instruments (job_key, business_date, instrument_id, isin, symbol, name,"
                    " asset_class, mic, currency, lot_size, tick_size, status, loaded_at)"
                    " SELECT 'instrument_master_daily', :d, 'I' || g, 'US0000000001', 'S' || g, 'name',"
                    " 'EQUITY', 'XNYS', 'USD', 1, 0.01, 'ACTIVE', now()"
                    " FROM generate_series(1, :n) AS g"
                ),
                {"d": TODAY - timedelta(days=day), "n": slice_rows},
            )
        for table in ("fire_ledger", "instruments"):
            conn.execute(sa.text(f"CREATE TABLE {table}_copy (LIKE {table} INCLUDING ALL)"))
            conn.execute(sa.text(f"INSERT INTO {table}_copy SELECT * FROM {table}"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def single_delete(engine: sa.Engine, sql: str, params: dict) -> tuple[int, float]:
    started = time.perf_counter()
    with engine.begin() as conn:
        rows = conn.execute(sa.text(sql), params).rowcount
    return rows, time.perf_counter() - started


def line(label: str, rows: int, seconds: float, per_txn: float) -> dict:
    rate = rows / seconds if seconds else 0.0
    print(f"  {label:<38} {rows:>9,} rows {seconds:7.2f} s {rate:>11,.0f} rows/s  mean txn {per_txn:6.3f} s")
    return {
        "label": label,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rate),
        "mean_txn_s": round(per_txn, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ledger-rows", type=int, default=300_000)
    parser.add_argument("--slices", type=int, default=10)
    parser.add_argument("--slice-rows", type=int, default=50_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("JOBSCHED_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    admin_url = settings.normalize_url(args.pg_url)
    name = f"jobsched_bench_retention_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = sa.create_engine(url)
    try:
        upgrade(url)
        fill(engine, args.ledger_rows, args.slices, args.slice_rows)
        print(f"retention purge on Postgres ({url.split('@')[-1]}), batches of {BATCH:,} rows")
        ledger_cut = datetime(2026, 11, 20, tzinfo=UTC) - timedelta(days=90)
        snap_cut = TODAY - timedelta(days=3)
        results = []
        purged = purge_ledger(engine, ledger_cut, BATCH)
        results.append(
            line(
                "ledger: housekeeping (batched)", purged.rows, purged.seconds, purged.seconds / purged.batches
            )
        )
        rows, seconds = single_delete(
            engine,
            "DELETE FROM fire_ledger_copy"
            " WHERE status IN ('success', 'failure', 'canceled', 'skipped') AND due_at < :c",
            {"c": ledger_cut},
        )
        results.append(line("ledger: one DELETE (baseline)", rows, seconds, seconds))
        purged = purge_snapshots(engine, instruments, snap_cut, BATCH)
        results.append(
            line(
                "snapshots: housekeeping (batched)",
                purged.rows,
                purged.seconds,
                purged.seconds / purged.batches,
            )
        )
        rows, seconds = single_delete(
            engine, "DELETE FROM instruments_copy WHERE business_date < :c", {"c": snap_cut}
        )
        results.append(line("snapshots: one DELETE (baseline)", rows, seconds, seconds))
        print(json.dumps({"bench": "retention", "results": results}))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
