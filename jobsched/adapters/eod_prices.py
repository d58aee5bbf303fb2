"""eod_prices: an exchange's end-of-day price file (bhavcopy-style CSV) over HTTP -> eod_prices."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from pydantic import Field

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.parsing import first_violation, not_business_date, read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import UrlTemplate, get, session_for
from jobsched.adapters.warehouse import slice_table


def bhavcopy_table(name: str) -> sa.Table:
    """A warehouse table of bhavcopy rows: eod_prices (chosen series) and exchange_bhavcopy (every series)."""
    return slice_table(
        name,
        sa.Column("exchange", sa.String(10), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("series", sa.String(4), nullable=False),
        sa.Column("isin", sa.String(12), nullable=False),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("last", sa.Float, nullable=False),
        sa.Column("prev_close", sa.Float, nullable=False),
        sa.Column("volume", sa.BigInteger, nullable=False),
        sa.Column("turnover", sa.Float, nullable=False),
        sa.Column("trades", sa.BigInteger, nullable=False),
        key=("exchange", "symbol", "series"),
    )


eod_prices = bhavcopy_table("eod_prices")


class EodPricesParams(UrlTemplate):
    exchange: str = Field("XNSE", pattern=r"^[A-Z0-9]{4}$", description="MIC of the exchange")
    series: tuple[str, ...] | None = Field(("EQ",), description="series to keep (None: all)")


@register("eod_prices")
class EodPrices(BaseAdapter):
    Params = EodPricesParams
    description = "Exchange end-of-day bhavcopy CSV over HTTP -> eod_prices."
    table = eod_prices
    source_kind = "http"
    upstream = ("exchange_bhavcopy",)
    columns = (
        Col("SYMBOL", "symbol", upper=True),
        Col("SERIES", "series", upper=True),
        Col("OPEN", "open", kind="float", min_value=0),
        Col("HIGH", "high", kind="float", min_value=0),
        Col("LOW", "low", kind="float", min_value=0),
        Col("CLOSE", "close", kind="float", min_value=0),
        Col("LAST", "last", kind="float", min_value=0),
        Col("PREVCLOSE", "prev_close", kind="float", min_value=0),
        Col("TOTTRDQTY", "volume", kind="int", min_value=0),
        Col("TOTTRDVAL", "turnover", kind="float", min_value=0),
        Col("TIMESTAMP", "trade_date", kind="date", date_format="%d-%b-%Y"),
        Col("TOTALTRADES", "trades", kind="int", min_value=0),
        Col("ISIN", "isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]", upper=True),
    )
    natural_key = ("symbol", "series")

    def read(self, ctx: RunContext, params: EodPricesParams) -> SourceBatch:
        url = params.url.format(date=ctx.business_date, account="")
        with session_for(params) as session:
            response = get(session, url, params, ctx.log)
        return SourceBatch(read_csv(response.content, adapter_key=self.key, source=url), source=url)

    def check(self, ctx: RunContext, params: EodPricesParams, frame: pd.DataFrame) -> str | None:
        return (
            not_business_date(frame, "trade_date", ctx.business_date, "TIMESTAMP")
            or first_violation(frame, frame["high"] < frame["low"], "high", "is below LOW", "HIGH")
            or first_violation(
                frame,
                (frame["close"] < frame["low"]) | (frame["close"] > frame["high"]),
                "close",
                "is outside LOW..HIGH",
                "CLOSE",
            )
        )

    def load(self, ctx: RunContext, params: EodPricesParams, frame: pd.DataFrame) -> int:
        rows = frame.drop(columns=["trade_date"])
        if params.series is not None:
            rows = rows[rows["series"].isin(params.series)]
        rows.insert(0, "exchange", params.exchange)
        return super().load(ctx, params, rows)
