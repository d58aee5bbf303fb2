"""Run one adapter for one (job definition, business date): read -> validate -> load -> after_load."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jobsched.adapters.base import Adapter, RunContext


@dataclass(frozen=True)
class RunReport:
    adapter: str
    job_key: str
    business_date: date
    source: str
    rows_read: int
    rows_loaded: int
    table: str | None
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """What every run reports to Dagster."""
        return {
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "source": self.source,
            "business_date": self.business_date.isoformat(),
            "job_key": self.job_key,
            "adapter": self.adapter,
            "table": self.table or "",
            "seconds": round(self.seconds, 3),
            **self.extra,
        }


def run_adapter(adapter: Adapter, ctx: RunContext, params: Any) -> RunReport:
    started = time.monotonic()
    batch = adapter.read(ctx, params)
    ctx.log.info(f"{adapter.key}: read {batch.rows_read} rows from {batch.source}")
    frame = adapter.validate(ctx, params, batch)
    loaded = adapter.load(ctx, params, frame)
    table = getattr(adapter, "table", None)
    ctx.log.info(
        f"{adapter.key}: loaded {loaded} rows into {getattr(table, 'name', '?')} "
        f"for {ctx.job_key} / {ctx.business_date.isoformat()}"
    )
    after_load = getattr(adapter, "after_load", None)
    if after_load is not None:
        after_load(ctx, params, batch)
    extra = {k: v for k, v in batch.extra.items() if k != "rows_read" and isinstance(v, str | int | float)}
    return RunReport(
        adapter=adapter.key,
        job_key=ctx.job_key,
        business_date=ctx.business_date,
        source=batch.source,
        rows_read=batch.rows_read,
        rows_loaded=loaded,
        table=getattr(table, "name", None),
        seconds=time.monotonic() - started,
        extra=extra,
    )
