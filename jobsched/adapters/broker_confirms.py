"""broker_confirms: a broker's trade confirmations as an Excel workbook (openpyxl) from a drop folder ->
broker_confirms. Amounts must agree (gross = quantity x price, net = gross +/- commission)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import Field, field_validator

from jobsched.adapters.base import RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.dropfolder import DropFolderAdapter, DropFolderParams
from jobsched.adapters.parsing import first_violation, not_business_date
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.warehouse import slice_table

broker_confirms = slice_table(
    "broker_confirms",
    sa.Column("broker", sa.String(40), nullable=False),
    sa.Column("trade_id", sa.String(64), nullable=False),
    sa.Column("settlement_date", sa.Date, nullable=False),
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("side", sa.String(4), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("security", sa.Text),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("gross_amount", sa.Float, nullable=False),
    sa.Column("commission", sa.Float, nullable=False),
    sa.Column("net_amount", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    key=("broker", "trade_id"),
)


class BrokerConfirmsParams(DropFolderParams):
    broker: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    sheet: str = Field("Confirms", description="worksheet holding the confirmations")
    pattern: str = Field(
        "confirms_{account}_{date:%Y%m%d}.xlsx", description="file name (glob); {account}=broker"
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_template(value, account="")


@register("broker_confirms")
class BrokerConfirms(DropFolderAdapter):
    Params = BrokerConfirmsParams
    description = "Broker trade confirmations, Excel workbook from a drop folder -> broker_confirms."
    table = broker_confirms
    upstream = ("broker_confirm_workbooks",)
    columns = (
        Col("Trade ID", "trade_id"),
        Col("Trade Date", "trade_date", kind="date"),
        Col("Settlement Date", "settlement_date", kind="date"),
        Col("Account", "account"),
        Col("Side", "side", choices=("BUY", "SELL"), upper=True),
        Col("ISIN", "isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]", upper=True),
        Col("Security", "security", required=False),
        Col("Quantity", "quantity", kind="float", min_value=0),
        Col("Price", "price", kind="float", min_value=0),
        Col("Gross Amount", "gross_amount", kind="float", min_value=0),
        Col("Commission", "commission", kind="float", min_value=0),
        Col("Net Amount", "net_amount", kind="float", min_value=0),
        Col("Currency", "currency", pattern=r"[A-Z]{3}", upper=True),
    )
    natural_key = ("trade_id",)

    def read(self, ctx: RunContext, params: BrokerConfirmsParams) -> SourceBatch:
        name = params.pattern.format(account=params.broker, date=ctx.business_date)
        path, extra = self.locate(ctx, params, name)
        batch = SourceBatch(pd.DataFrame(), source=str(path), extra=extra)
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise self.reject(batch, f"not a readable Excel workbook (partial file?): {exc}") from None
        try:
            if params.sheet not in book.sheetnames:
                raise self.reject(batch, f"no worksheet {params.sheet!r}; the workbook has {book.sheetnames}")
            rows = [list(r) for r in book[params.sheet].iter_rows(values_only=True)]
        finally:
            book.close()
        rows = [r for r in rows if any(v not in (None, "") for v in r)]
        if not rows:
            raise self.reject(batch, f"worksheet {params.sheet!r} is empty")
        header = [str(v).strip() if v is not None else f"Unnamed: {i}" for i, v in enumerate(rows[0])]
        body = [[_cell(v) for v in r[: len(header)]] + [""] * (len(header) - len(r)) for r in rows[1:]]
        batch.frame = pd.DataFrame(body, columns=header, dtype=object)
        return batch

    def check(self, ctx: RunContext, params: BrokerConfirmsParams, frame: pd.DataFrame) -> str | None:
        gross_off = (frame["quantity"] * frame["price"] - frame["gross_amount"]).abs() > 0.01 + 1e-6 * frame[
            "gross_amount"
        ]
        sign = frame["side"].map({"BUY": 1.0, "SELL": -1.0})
        net_off = (frame["gross_amount"] + sign * frame["commission"] - frame["net_amount"]).abs() > 0.011
        return (
            not_business_date(frame, "trade_date", ctx.business_date, "Trade Date")
            or first_violation(
                frame,
                frame["settlement_date"] < frame["trade_date"],
                "settlement_date",
                "is before Trade Date",
                "Settlement Date",
            )
            or first_violation(frame, gross_off, "gross_amount", "is not Quantity x Price", "Gross Amount")
            or first_violation(
                frame, net_off, "net_amount", "is not Gross Amount +/- Commission", "Net Amount"
            )
        )

    def load(self, ctx: RunContext, params: BrokerConfirmsParams, frame: pd.DataFrame) -> int:
        return super().load(ctx, params, frame.drop(columns=["trade_date"]).assign(broker=params.broker))


def _cell(value: Any) -> str:
    """A cell as the text a CSV would carry: dates ISO, whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
