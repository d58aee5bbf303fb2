"""Bulk load of the instrument master (1M rows) into Postgres: jobsched's COPY path vs DataFrame.to_sql.

    .venv/bin/python bench/bench_bulk_load.py [--rows 1000000] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Both loads take the same validated frame into identical tables (same columns, same primary key) in a
database created for the run and dropped after it. Prints rows/s for each, the ratio, and a JSON line.
Not a pass/fail test; the goal is COPY >= 3x to_sql.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from jobsched import settings
from jobsched.adapters import get_adapter
from jobsched.adapters.base import RunContext, SourceBatch
from jobsched.adapters.instrument_master import instruments
from jobsched.adapters.parsing import read_csv
from jobsched.adapters.warehouse import replace_slice, with_slice_columns
from jobsched.samples.instruments import instruments_file

BUSINESS_DATE = date(2026, 11, 20)


def timed(label: str, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:8.2f} s", flush=True)
    return result, seconds


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("JOBSCHED_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "jobsched-bench")
    args = parser.parse_args()

    admin_url = settings.normalize_url(args.pg_url)
    name = f"jobsched_bench_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        print(f"bulk load of {args.rows:,} instrument rows into Postgres ({engine.url.render_as_string()})")
        path, gen_s = timed(
            "generate file (cached)", lambda: instruments_file(args.cache_dir, args.rows, BUSINESS_DATE)
        )
        adapter = get_adapter("instrument_master")
        ctx = RunContext("bench", BUSINESS_DATE, "bench-run", engine, logging.getLogger("bench"))
        raw, read_s = timed(
            "read gzip CSV (pandas)", lambda: read_csv(path, adapter_key="bench", source=str(path))
        )
        params = adapter.Params(url="http://unused/")
        frame, validate_s = timed(
            "validate batch", lambda: adapter.validate(ctx, params, SourceBatch(raw, str(path)))
        )

        _, copy_s = timed("jobsched replace_slice (COPY)", lambda: replace_slice(ctx, instruments, frame))

        with engine.begin() as conn:  # same columns, types, NOT NULLs and primary key as the COPY target
            conn.execute(sa.text("CREATE TABLE instruments_to_sql (LIKE instruments INCLUDING ALL)"))
        rows = with_slice_columns(frame, "bench", BUSINESS_DATE, "bench-run")
        _, to_sql_s = timed(
            "pandas DataFrame.to_sql",
            lambda: rows.to_sql("instruments_to_sql", engine, if_exists="append", index=False),
        )

        loaded = (count(engine, "instruments"), count(engine, "instruments_to_sql"))
        assert loaded == (args.rows, args.rows), loaded
        result = {
            "rows": args.rows,
            "copy_seconds": round(copy_s, 3),
            "copy_rows_per_s": round(args.rows / copy_s),
            "to_sql_seconds": round(to_sql_s, 3),
            "to_sql_rows_per_s": round(args.rows / to_sql_s),
            "ratio": round(to_sql_s / copy_s, 2),
            "read_seconds": round(read_s, 3),
            "validate_seconds": round(validate_s, 3),
            "generate_seconds": round(gen_s, 3),
            "postgres": engine.dialect.server_version_info
            and ".".join(map(str, engine.dialect.server_version_info)),
            "pandas_to_sql": "method=None (SQLAlchemy executemany, psycopg2 batched VALUES)",
        }
        print(f"\n  COPY     {result['copy_rows_per_s']:>10,} rows/s")
        print(f"  to_sql   {result['to_sql_rows_per_s']:>10,} rows/s")
        print(f"  ratio    {result['ratio']:>10}x  (goal >= 3x)\n")
        print(json.dumps(result), flush=True)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
