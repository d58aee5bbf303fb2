"""trade_reconciliation: internal trades (SQL) vs the broker's trade file (HTTP) -> trade_breaks."""

from __future__ import annotations

from functools import partial

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col, validate_frame
from jobsched.adapters.parsing import first_violation, not_business_date, read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import HttpParams, check_template, get, session_for
from jobsched.adapters.sources.sql import read_query, safe_url
from jobsched.adapters.warehouse import slice_table

DEFAULT_QUERY = (
    "SELECT trade_id, account, trade_date, symbol, isin, side, quantity, price FROM internal_trades "
    "WHERE account = :account AND trade_date = :business_date"
)

trade_breaks = slice_table(
    "trade_breaks",
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("trade_id", sa.String(64), nullable=False),
    sa.Column("break_type", sa.String(20), nullable=False),
    sa.Column("symbol", sa.String(40)),
    sa.Column("internal_side", sa.String(4)),
    sa.Column("broker_side", sa.String(4)),
    sa.Column("internal_quantity", sa.Float),
    sa.Column("broker_quantity", sa.Float),
    sa.Column("internal_price", sa.Float),
    sa.Column("broker_price", sa.Float),
    key=("account", "trade_id", "break_type"),
)

INTERNAL = (
    Col("trade_id", "trade_id"),
    Col("account", "account"),
    Col("trade_date", "trade_date", kind="date"),
    Col("symbol", "symbol", upper=True),
    Col("side", "side", choices=("BUY", "SELL"), upper=True),
    Col("quantity", "quantity", kind="float", min_value=0),
    Col("price", "price", kind="float", min_value=0),
)
BROKER = (
    Col("Trade Date", "trade_date", kind="date", date_format="%Y%m%d"),
    Col("Account", "account"),
    Col("Client Ref", "trade_id"),
    Col("Symbol", "symbol", upper=True),
    Col("Side", "side", choices=("B", "S"), upper=True),
    Col("Quantity", "quantity", kind="float", min_value=0),
    Col("Price", "price", kind="float", min_value=0),
)


class TradeReconParams(HttpParams):
    account: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    trades_url: str = Field(description="SQLAlchemy URL of the internal trades database")
    trades_query: str = Field(DEFAULT_QUERY, description="binds :account and :business_date")
    broker_file_url: str = Field(
        description="template, e.g. http://host/broker/trades/{account}/{date:%Y%m%d}.csv"
    )
    price_tolerance: float = Field(0.005, ge=0, description="absolute price difference still matched")

    @field_validator("broker_file_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return check_template(value, account="")

    @field_validator("trades_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        try:
            sa.engine.make_url(value)
        except sa.exc.ArgumentError:
            raise ValueError(
                "not a database URL (e.g. postgresql://user@host/db, sqlite:///path.db)"
            ) from None
        return value


@register("trade_reconciliation")
class TradeReconciliation(BaseAdapter):
    Params = TradeReconParams
    description = "Internal trades (SQL) vs the broker's trade file (HTTP) -> trade_breaks."
    table = trade_breaks
    source_kind = "sql+http"
    upstream = ("internal_trades", "broker_trade_files")
    allow_empty = True

    def read(self, ctx: RunContext, params: TradeReconParams) -> SourceBatch:
        binds = {"account": params.account, "business_date": ctx.business_date.isoformat()}
        internal = read_query(params.trades_url, params.trades_query, binds)
        url = params.broker_file_url.format(account=params.account, date=ctx.business_date)
        with session_for(params) as session:
            response = get(session, url, params, ctx.log)
        broker = read_csv(response.content, adapter_key=self.key, source=url)
        source = f"{safe_url(params.trades_url)} + {url}"
        extra = {"broker_frame": broker, "rows_read": len(internal) + len(broker), "broker_url": url}
        return SourceBatch(internal, source=source, extra=extra)

    def validate(self, ctx: RunContext, params: TradeReconParams, batch: SourceBatch) -> pd.DataFrame:
        common = partial(validate_frame, adapter_key=self.key, key=("trade_id",), allow_empty=True)
        internal = common(batch.frame, INTERNAL, source=batch.source.split(" + ")[0])
        broker = common(batch.extra["broker_frame"], BROKER, source=batch.extra["broker_url"])
        for label, frame in (("internal trades", internal), ("broker file", broker)):
            problem = not_business_date(frame, "trade_date", ctx.business_date) or first_violation(
                frame, frame["account"] != params.account, "account", f"is not {params.account!r}"
            )
            if problem:
                raise self.reject(batch, f"{label}: {problem}")
        breaks = reconcile(internal, broker, params.price_tolerance)
        batch.extra.update(internal_trades=len(internal), broker_trades=len(broker), breaks=len(breaks))
        return breaks


def reconcile(internal: pd.DataFrame, broker: pd.DataFrame, price_tolerance: float) -> pd.DataFrame:
    """One row per break: missing on either side, side, quantity or price mismatch."""
    broker = broker.assign(side=broker["side"].map({"B": "BUY", "S": "SELL"}))
    both = internal.merge(broker, on="trade_id", how="outer", suffixes=("_int", "_brk"), indicator=True)
    kinds = {
        "MISSING_AT_BROKER": both["_merge"] == "left_only",
        "MISSING_INTERNALLY": both["_merge"] == "right_only",
        "SIDE_MISMATCH": (both["_merge"] == "both") & (both["side_int"] != both["side_brk"]),
        "QUANTITY_MISMATCH": (both["_merge"] == "both") & (both["quantity_int"] != both["quantity_brk"]),
        "PRICE_MISMATCH": (both["_merge"] == "both")
        & ((both["price_int"] - both["price_brk"]).abs() > price_tolerance + 1e-9),
    }
    parts = []
    for kind, mask in kinds.items():
        rows = both[mask]
        parts.append(
            pd.DataFrame(
                {
                    "account": rows["account_int"].fillna(rows["account_brk"]),
                    "trade_id": rows["trade_id"],
                    "break_type": kind,
                    "symbol": rows["symbol_int"].fillna(rows["symbol_brk"]),
                    "internal_side": rows["side_int"],
                    "broker_side": rows["side_brk"],
                    "internal_quantity": rows["quantity_int"],
                    "broker_quantity": rows["quantity_brk"],
                    "internal_price": rows["price_int"],
                    "broker_price": rows["price_brk"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["trade_id", "break_type"], ignore_index=True)
