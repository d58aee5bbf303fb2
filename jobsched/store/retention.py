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
    """Delete finished ledger entries due before `before`, `batch_rows` at a time."""
    started = time.monotonic()
    ledger = fire_ledger.c
    oldest = (
        sa.select(ledger.id)
        .where(ledger.status.in_(FINISHED), ledger.due_at < before)
        .order_by(ledger.id)
        .limit(batch_rows)
    )
    rows = batches = 0
    while True:
        with engine.begin() as conn:
            deleted = conn.execute(
                sa.delete(fire_ledger).where(ledger.id.in_(oldest.scalar_subquery()))
            ).rowcount
        rows += deleted
        batches += 1
        if deleted < batch_rows:
            return Purged(rows, batches, time.monotonic() - started)
