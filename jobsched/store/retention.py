"""Purging old fire-ledger entries in bounded batches (each batch its own short transaction).

Only finished entries go: pending, requested and running fires are never purged, whatever their age.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from jobsched.store.schema import fire_ledger

FINISHED = ("success", "failure", "canceled", "skipped")


@dataclass(frozen=True)
class Purged:
    rows: int
    batches: int
    seconds: float


def purge_ledger(engine: sa.Engine, before: datetime, batch_rows: int) -> Purged:
    """Delete finished ledger entries due before `before`, `batch_rows` at a time.

    Walks the primary key upwards (ids grow with time, so old entries come first) and resumes after the last
    id deleted: each batch reads only rows no earlier batch has looked at.
    """
    started = time.monotonic()
    ledger = fire_ledger.c
    rows = batches = 0
    last = 0
    while True:
        oldest = (
            sa.select(ledger.id)
            .where(ledger.id > last, ledger.status.in_(FINISHED), ledger.due_at < before)
            .order_by(ledger.id)
            .limit(batch_rows)
        )
        with engine.begin() as conn:
            batch = sa.delete(fire_ledger).where(ledger.id.in_(oldest.scalar_subquery()))
            ids = sorted(conn.execute(batch.returning(ledger.id)).scalars())
        rows += len(ids)
        batches += 1
        if len(ids) < batch_rows:
            return Purged(rows, batches, time.monotonic() - started)
        last = ids[-1]
