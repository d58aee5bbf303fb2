"""demo_echo: records its business date (idempotent per slice) and every execution (never deduplicated).

The reliability tests count `demo_echo_executions` rows to prove each fire executed exactly once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from jobsched.adapters.base import AdapterParams, BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.registry import register
from jobsched.adapters.warehouse import ensure_table, metadata, replace_slice, slice_table

demo_echo_log = slice_table(
    "demo_echo_log",
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("fire_time", sa.Text, nullable=True),
    key=(),
)

demo_echo_executions = sa.Table(
    "demo_echo_executions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("job_key", sa.String(100), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("fire_time", sa.Text, nullable=True),
    sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
)


class DemoEchoParams(AdapterParams):
    message: str | None = None


@register("demo_echo")
class DemoEcho(BaseAdapter):
    Params = DemoEchoParams
    description = "Records its business date in demo_echo_log and each execution in demo_echo_executions."
    table = demo_echo_log
    source_kind = "none"

    def read(self, ctx: RunContext, params: DemoEchoParams) -> SourceBatch:
        frame = pd.DataFrame({"message": [params.message], "fire_time": [ctx.fire_time]}, dtype=object)
        return SourceBatch(frame, source="demo_echo (no external source)")

    def validate(self, ctx: RunContext, params: DemoEchoParams, batch: SourceBatch) -> pd.DataFrame:
        return batch.frame

    def load(self, ctx: RunContext, params: DemoEchoParams, frame: pd.DataFrame) -> int:
        ensure_table(ctx.warehouse, demo_echo_executions)
        execution = {
            "run_id": ctx.run_id,
            "job_key": ctx.job_key,
            "business_date": ctx.business_date,
            "fire_time": ctx.fire_time,
            "executed_at": datetime.now(UTC),
        }

        # the execution row commits with the slice: a rolled-back load leaves no execution behind
        def record_execution(conn: sa.Connection) -> None:
            conn.execute(demo_echo_executions.insert(), execution)

        return replace_slice(ctx, demo_echo_log, frame, also=record_execution)
