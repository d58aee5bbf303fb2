"""housekeeping: purges what jobsched keeps growing, scheduled like any job by a row (seeded daily).

- fire-ledger entries that finished and were due more than `ledger_days` before the business date;
- adapter snapshots (slices of `snapshot_tables`, e.g. instrument_master's per-business-date copy of the
  instrument file) whose business date is more than `snapshot_days` before it.

Deletes go in batches of `batch_rows`, each its own short transaction, so a purge never holds long locks or
one huge transaction. What each run purged is written to `housekeeping_log` (one row per target). The
ledger is reached through `RunContext.jobsched_db` (the run's `jobsched_db` resource): the adapter opens no
connection of its own to jobsched's database.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import AdapterParams, BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.errors import AdapterError
from jobsched.adapters.registry import register
from jobsched.adapters.warehouse import lock_slice, metadata, slice_table
from jobsched.store.retention import Purged, purge_ledger

housekeeping_log = slice_table(
    "housekeeping_log",
    sa.Column("target", sa.String(100), nullable=False),
    sa.Column("cutoff", sa.Date, nullable=False),
    sa.Column("rows_purged", sa.BigInteger, nullable=False),
    sa.Column("batches", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    key=("target",),
)


class HousekeepingParams(AdapterParams):
    ledger_days: int = Field(90, ge=1, le=36_500, description="keep finished fires this many days")
    snapshot_days: int = Field(30, ge=1, le=36_500, description="keep adapter snapshots this many days")
    snapshot_tables: tuple[str, ...] = Field(("instruments",), description="slice tables to purge")
    batch_rows: int = Field(10_000, ge=1, le=1_000_000, description="rows per delete transaction")

    @field_validator("snapshot_tables")
    @classmethod
    def _known_slice_tables(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            table = metadata.tables.get(name)
            if table is None or not {"job_key", "business_date"} <= set(table.c.keys()):
                known = sorted(t.name for t in metadata.tables.values() if "business_date" in t.c)
                raise ValueError(f"{name!r} is not an adapter snapshot table (known: {', '.join(known)})")
        return names


@register("housekeeping")
class Housekeeping(BaseAdapter):
    Params = HousekeepingParams
    description = "Purges old fire-ledger entries and adapter snapshots in bounded batches."
    table = housekeeping_log
    source_kind = "sql"

    def read(self, ctx: RunContext, params: HousekeepingParams) -> SourceBatch:
        return SourceBatch(pd.DataFrame(), source="jobsched ledger and warehouse snapshot tables")

    def validate(self, ctx: RunContext, params: HousekeepingParams, batch: SourceBatch) -> pd.DataFrame:
        return batch.frame

    def load(self, ctx: RunContext, params: HousekeepingParams, frame: pd.DataFrame) -> int:
        from jobsched.adapters.warehouse import replace_slice

        ledger_cutoff = ctx.business_date - timedelta(days=params.ledger_days)
        before = datetime(ledger_cutoff.year, ledger_cutoff.month, ledger_cutoff.day, tzinfo=UTC)
        if ctx.jobsched_db is None:
            raise AdapterError(
                "housekeeping: the run context has no jobsched database (RunContext.jobsched_db)"
            )
        results = {"fire_ledger": (ledger_cutoff, purge_ledger(ctx.jobsched_db, before, params.batch_rows))}
        snapshot_cutoff = ctx.business_date - timedelta(days=params.snapshot_days)
        for name in params.snapshot_tables:
            purged = purge_snapshots(ctx.warehouse, metadata.tables[name], snapshot_cutoff, params.batch_rows)
            results[name] = (snapshot_cutoff, purged)
        for target, (cutoff, purged) in results.items():
            ctx.log.info(
                f"housekeeping: {target}: purged {purged.rows} rows older than {cutoff} "
                f"in {purged.batches} batch(es), {purged.seconds:.2f}s"
            )
        report = pd.DataFrame(
            [
                {"target": t, "cutoff": c, "rows_purged": p.rows, "batches": p.batches, "seconds": p.seconds}
                for t, (c, p) in results.items()
            ]
        )
        return replace_slice(ctx, housekeeping_log, report)


def purge_snapshots(engine: sa.Engine, table: sa.Table, before: date, batch_rows: int) -> Purged:
    """Delete the slices of `table` with business_date < `before`, slice by slice, `batch_rows` at a time
    (through the primary key's (job_key, business_date) prefix, under the slice's load lock)."""
    started = time.monotonic()
    try:
        with engine.connect() as conn:
            slices = conn.execute(
                sa.select(table.c.job_key, table.c.business_date)
                .where(table.c.business_date < before)
                .distinct()
                .order_by(table.c.business_date, table.c.job_key)
            ).all()
    except sa.exc.ProgrammingError:  # Postgres: the table was never created (its adapter never ran)
        return Purged(0, 0, time.monotonic() - started)
    except sa.exc.OperationalError as exc:  # SQLite: no such table
        if "no such table" not in str(exc):
            raise
        return Purged(0, 0, time.monotonic() - started)
    rows = batches = 0
    for job_key, business_date in slices:
        while True:
            with engine.begin() as conn:
                lock_slice(conn, table, job_key, business_date)
                deleted = conn.execute(
                    _delete_batch(conn, table), {"k": job_key, "d": business_date, "n": batch_rows}
                )
            rows += deleted.rowcount
            batches += 1
            if deleted.rowcount < batch_rows:
                break
    return Purged(rows, batches, time.monotonic() - started)


def _delete_batch(conn: sa.Connection, table: sa.Table) -> sa.TextClause:
    name = conn.dialect.identifier_preparer.format_table(table)
    row = "ctid" if conn.dialect.name == "postgresql" else "rowid"
    inner = f"SELECT {row} FROM {name} WHERE job_key = :k AND business_date = :d LIMIT :n"
    if conn.dialect.name == "postgresql":
        return sa.text(f"DELETE FROM {name} WHERE ctid = ANY(ARRAY({inner}))")
    return sa.text(f"DELETE FROM {name} WHERE rowid IN ({inner})")
