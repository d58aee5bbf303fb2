"""index_constituents: an index provider's constituents file (gzip CSV), one object per index and date in
S3-compatible object storage -> index_constituents. Weights must add up to 100%."""

from __future__ import annotations

import gzip
import zlib

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.parsing import first_violation, not_business_date, read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.sources.s3 import S3Location, get_object
from jobsched.adapters.warehouse import slice_table

index_constituents = slice_table(
    "index_constituents",
    sa.Column("index_code", sa.String(20), nullable=False),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("free_float_shares", sa.BigInteger, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("weight_pct", sa.Float, nullable=False),
    key=("index_code", "isin"),
)


class IndexConstituentsParams(S3Location):
    index: str = Field(pattern=r"^[A-Z0-9_]{2,20}$", description="index code, e.g. NIFTY50")
    key: str = Field("constituents/{index}/{date:%Y%m%d}.csv.gz", description="object key template")
    weight_tolerance_pct: float = Field(0.01, ge=0, description="allowed |sum of weights - 100|")

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return check_template(value, index="")


@register("index_constituents")
class IndexConstituents(BaseAdapter):
    Params = IndexConstituentsParams
    description = "Index constituents gzip CSV per index and date from S3-compatible storage."
    table = index_constituents
    source_kind = "s3"
    upstream = ("index_provider_bucket",)
    columns = (
        Col("index_code", "index_code", upper=True),
        Col("as_of", "as_of", kind="date"),
        Col("symbol", "symbol", upper=True),
        Col("isin", "isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]", upper=True),
        Col("name", "name", required=False),
        Col("free_float_shares", "free_float_shares", kind="int", min_value=0),
        Col("price", "price", kind="float", min_value=0),
        Col("weight_pct", "weight_pct", kind="float", min_value=0),
    )
    natural_key = ("index_code", "isin")

    def read(self, ctx: RunContext, params: IndexConstituentsParams) -> SourceBatch:
        key = params.key.format(index=params.index, date=ctx.business_date)
        data = get_object(params, key, ctx.log)
        url = params.url(key)
        batch = SourceBatch(pd.DataFrame(), source=url, extra={"object_bytes": len(data)})
        try:
            plain = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        except (OSError, EOFError, zlib.error) as exc:
            raise self.reject(batch, f"not a valid gzip object (truncated upload?): {exc}") from None
        batch.frame = read_csv(plain, adapter_key=self.key, source=url)
        return batch

    def check(self, ctx: RunContext, params: IndexConstituentsParams, frame: pd.DataFrame) -> str | None:
        total = float(frame["weight_pct"].sum())
        problem = not_business_date(frame, "as_of", ctx.business_date) or first_violation(
            frame, frame["index_code"] != params.index, "index_code", f"is not {params.index}"
        )
        if problem:
            return problem
        if abs(total - 100) > params.weight_tolerance_pct:
            return (
                f"column 'weight_pct': weights of {len(frame)} constituents add up to {total:.4f}%, not 100% "
                f"(tolerance {params.weight_tolerance_pct}): a partial file?"
            )
        return None

    def load(self, ctx: RunContext, params: IndexConstituentsParams, frame: pd.DataFrame) -> int:
        return super().load(ctx, params, frame.drop(columns=["as_of"]))
