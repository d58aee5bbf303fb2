"""Bulk load of the instrument master (1M rows) into Postgres: jobsched's path against two baselines.

    .venv/bin/python bench/bench_bulk_load.py [--rows 1000000] [--repeat 3] [--no-to-sql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Baselines, measured in the same run:
- raw COPY: the gzip file streamed as is into `COPY ... FROM STDIN` of a plain table (the same eleven
  columns and types, no constraints, no validation): the physical limit. Goal: jobsched's end-to-end path
  (read + validate + load, all-or-nothing slice) within 3x of it.
- pandas `DataFrame.to_sql` of the validated frame into a table identical to jobsched's (same primary key).
  Goal: jobsched's load >= 3x faster.
Everything runs in a database created for the run and dropped after it. With --repeat the raw COPY and the
jobsched path run N times each (interleaved) and min/median are printed. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import statistics
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
from jobsched.adapters.warehouse import ensure_table, with_slice_columns
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


def raw_copy(engine: sa.Engine, path: Path) -> None:
    """The physical limit: the gzip file as is into COPY of a plain table, in one transaction."""
    sql = "COPY instruments_raw FROM STDIN WITH (FORMAT csv, HEADER true)"
    with engine.begin() as conn, gzip.open(path, "rb") as source:
        conn.execute(sa.text("TRUNCATE instruments_raw"))
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.copy_expert(sql, source, size=1 << 20)


def jobsched_path(ctx: RunContext, path: Path) -> dict[str, float]:
    """read + validate + load, as a run does them (the download aside)."""
    adapter = get_adapter("instrument_master")
    raw, read_s = timed("  read gzip CSV", lambda: read_csv(path, adapter_key="bench", source=str(path)))
    params = adapter.Params(url="http://unused/")
    frame, validate_s = timed(
        "  validate batch", lambda: adapter.validate(ctx, params, SourceBatch(raw, str(path)))
    )
    _, load_s = timed("  load (replace_slice, COPY)", lambda: adapter.load(ctx, params, frame))
    total = read_s + validate_s + load_s
    print(f"  {'jobsched end to end':<34} {total:8.2f} s", flush=True)
    return {"read": read_s, "validate": validate_s, "load": load_s, "total": total, "frame": frame}


def spread(values: list[float]) -> dict[str, float]:
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of raw COPY and of jobsched's path")
    parser.add_argument("--no-to-sql", action="store_true", help="skip the (slow) DataFrame.to_sql baseline")
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
        ensure_table(engine, instruments)
        with engine.begin() as conn:  # the eleven source columns with their types; no key, no NOT NULLs
            columns = ", ".join(
                f'"{c.name}" {c.type.compile(engine.dialect)}'
                for c in instruments.columns
                if c.name not in ("job_key", "business_date", "run_id", "loaded_at")
            )
            conn.execute(sa.text(f"CREATE TABLE instruments_raw ({columns})"))
        raws: list[float] = []
        runs: list[dict[str, float]] = []
        for n in range(1, args.repeat + 1):
            print(f" run {n}/{args.repeat}")
            raws.append(timed("raw COPY of the gzip file", lambda: raw_copy(engine, path))[1])
            # a slice of its own per run, as each business day is (re-running one slice is slower: see README)
            ctx = RunContext(f"bench-{n}", BUSINESS_DATE, f"run-{n}", engine, logging.getLogger("bench"))
            runs.append(jobsched_path(ctx, path))
        frame = runs[-1].pop("frame")
        for run in runs[:-1]:
            run.pop("frame")

        to_sql_s = None
        if not args.no_to_sql:
            with engine.begin() as conn:  # same columns, types, NOT NULLs and primary key as the COPY target
                conn.execute(sa.text("CREATE TABLE instruments_to_sql (LIKE instruments INCLUDING ALL)"))
            rows = with_slice_columns(frame, "bench", BUSINESS_DATE, "bench-run")
            _, to_sql_s = timed(
                "pandas DataFrame.to_sql",
                lambda: rows.to_sql("instruments_to_sql", engine, if_exists="append", index=False),
            )
            assert count(engine, "instruments_to_sql") == args.rows
        loaded = (count(engine, "instruments"), count(engine, "instruments_raw"))
        assert loaded == (args.rows * args.repeat, args.rows), loaded

        best = {k: min(r[k] for r in runs) for k in ("read", "validate", "load", "total")}
        result: dict[str, object] = {
            "rows": args.rows,
            "runs": args.repeat,
            "raw_copy_seconds": spread(raws),
            "jobsched_seconds": spread([r["total"] for r in runs]),
            "read_seconds": spread([r["read"] for r in runs]),
            "validate_seconds": spread([r["validate"] for r in runs]),
            "load_seconds": spread([r["load"] for r in runs]),
            "end_to_end_over_raw_copy": round(best["total"] / min(raws), 2),
            "generate_seconds": round(gen_s, 3),
            "postgres": engine.dialect.server_version_info
            and ".".join(map(str, engine.dialect.server_version_info)),
        }
        print(f"\n  raw COPY      {args.rows / min(raws):>10,.0f} rows/s  (min {min(raws):.2f} s)")
        print(
            f"  jobsched      {args.rows / best['total']:>10,.0f} rows/s  (min {best['total']:.2f} s:"
            f" read {best['read']:.2f} + validate {best['validate']:.2f} + load {best['load']:.2f})"
        )
        print(f"  end to end    {result['end_to_end_over_raw_copy']:>10}x raw COPY  (goal <= 3x)")
        if to_sql_s is not None:
            result["to_sql_seconds"] = round(to_sql_s, 3)
            result["load_over_to_sql"] = round(to_sql_s / best["load"], 2)
            print(f"  to_sql        {args.rows / to_sql_s:>10,.0f} rows/s")
            print(f"  load ratio    {result['load_over_to_sql']:>10}x to_sql  (goal >= 3x)")
        print()
        print(json.dumps(result), flush=True)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
