"""What an adapter is: parameters (pydantic), read the source, validate the batch, load the slice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol, runtime_checkable

import pandas as pd
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from jobsched.adapters.columns import Col, validate_frame
from jobsched.adapters.errors import BatchRejected


class Log(Protocol):
    def info(self, msg: str) -> Any: ...
    def warning(self, msg: str) -> Any: ...


@dataclass
class RunContext:
    """Everything an adapter may know about the run it is part of. No Dagster types here."""

    job_key: str
    business_date: date
    run_id: str
    warehouse: sa.Engine
    log: Log
    fire_time: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    #: the scheduled fire this run executes ("<schedule id>:<fire time>"); its load writes a receipt
    fire_key: str | None = None
    chunk_rows: int = 100_000
    #: called inside the load transaction with the number of rows written so far (progress, tests).
    on_chunk: Callable[[int], None] | None = None
    #: jobsched's own database (job definitions, fire ledger), as the run's `jobsched_db` resource gives it;
    #: only for adapters that maintain jobsched itself (housekeeping). None outside a Dagster run.
    jobsched_db: sa.Engine | None = None


@dataclass
class SourceBatch:
    """What `read` returns: the raw rows (strings as delivered) and where they came from (no secrets)."""

    frame: pd.DataFrame
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return int(self.extra.get("rows_read", len(self.frame)))


class AdapterParams(BaseModel):
    """Base for adapter parameter models: unknown parameters are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@runtime_checkable
class Adapter(Protocol):
    """The protocol the registry accepts (a class instance or a module)."""

    key: str
    Params: type[BaseModel]

    def read(self, ctx: RunContext, params: Any) -> SourceBatch: ...
    def validate(self, ctx: RunContext, params: Any, batch: SourceBatch) -> pd.DataFrame: ...
    def load(self, ctx: RunContext, params: Any, frame: pd.DataFrame) -> int: ...


class BaseAdapter:
    """Defaults for the common case: declarative columns, a slice table, one source.

    Subclasses set the class attributes and implement `read`; override `check` for domain rules,
    `load`/`after_load` for anything beyond replacing the (job_key, business_date) slice of `table`.
    """

    key: str = ""
    Params: ClassVar[type[BaseModel]] = AdapterParams
    description: ClassVar[str] = ""
    table: ClassVar[sa.Table | None] = None
    source_kind: ClassVar[str] = "none"  # "http" | "folder" | "sql" | ...
    #: names of external source assets this adapter reads, shown as upstream lineage in Dagster.
    upstream: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[Col, ...]] = ()
    natural_key: ClassVar[tuple[str, ...]] = ()
    allow_empty: ClassVar[bool] = False

    def read(self, ctx: RunContext, params: Any) -> SourceBatch:
        raise NotImplementedError

    def validate(self, ctx: RunContext, params: Any, batch: SourceBatch) -> pd.DataFrame:
        frame = validate_frame(
            batch.frame,
            self.columns,
            adapter_key=self.key,
            source=batch.source,
            key=self.natural_key,
            allow_empty=self.allow_empty,
        )
        problem = self.check(ctx, params, frame)
        if problem:
            raise BatchRejected(self.key, batch.source, problem)
        return frame

    def check(self, ctx: RunContext, params: Any, frame: pd.DataFrame) -> str | None:
        """Domain rules over the typed frame; return a message naming field and value to reject."""
        return None

    def load(self, ctx: RunContext, params: Any, frame: pd.DataFrame) -> int:
        from jobsched.adapters.warehouse import replace_slice

        if self.table is None:
            raise NotImplementedError(f"{self.key}: no table; override load()")
        return replace_slice(ctx, self.table, frame)

    def after_load(self, ctx: RunContext, params: Any, batch: SourceBatch) -> None:
        """Runs after the load committed (e.g. archive the source file)."""

    def reject(self, batch: SourceBatch, reason: str) -> BatchRejected:
        return BatchRejected(self.key, batch.source, reason)

    def __repr__(self) -> str:
        return f"<adapter {self.key or type(self).__name__}>"
