"""fx_rates: central-bank daily reference rates in the ECB eurofxref XML format over HTTP -> fx_rates."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import sqlalchemy as sa
from pydantic import Field

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.parsing import first_violation
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import UrlTemplate, get, session_for
from jobsched.adapters.warehouse import slice_table

EUROFXREF = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}Cube"

fx_rates = slice_table(
    "fx_rates",
    sa.Column("base_currency", sa.String(3), nullable=False),
    sa.Column("quote_currency", sa.String(3), nullable=False),
    sa.Column("rate", sa.Float, nullable=False),
    key=("base_currency", "quote_currency"),
)


class FxRatesParams(UrlTemplate):
    base_currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    currencies: tuple[str, ...] | None = Field(None, description="quote currencies to keep (None: all)")


@register("fx_rates")
class FxRates(BaseAdapter):
    Params = FxRatesParams
    description = "ECB eurofxref daily reference rates (XML over HTTP) -> fx_rates."
    table = fx_rates
    source_kind = "http"
    upstream = ("ecb_reference_rates",)
    columns = (
        Col("time", "rate_date", kind="date"),
        Col("currency", "quote_currency", pattern=r"[A-Z]{3}"),
        Col("rate", "rate", kind="float", min_value=0),
    )
    natural_key = ("rate_date", "quote_currency")

    def read(self, ctx: RunContext, params: FxRatesParams) -> SourceBatch:
        url = params.url.format(date=ctx.business_date, account="")
        with session_for(params) as session:
            response = get(session, url, params, ctx.log)
        batch = SourceBatch(pd.DataFrame(columns=["time", "currency", "rate"]), source=url)
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise self.reject(batch, f"payload is not valid XML: {exc}") from None
        days = [cube for cube in root.iter(EUROFXREF) if cube.get("time") is not None]
        if not days:
            raise self.reject(batch, "no <Cube time='...'> element: not an ECB eurofxref document")
        rows = [
            {"time": day.get("time"), "currency": cube.get("currency"), "rate": cube.get("rate")}
            for day in days
            for cube in day.findall(EUROFXREF)
        ]
        batch.frame = pd.DataFrame(rows, columns=["time", "currency", "rate"], dtype=object)
        batch.extra["published"] = ", ".join(day.get("time", "") for day in days)
        return batch

    def check(self, ctx: RunContext, params: FxRatesParams, frame: pd.DataFrame) -> str | None:
        wrong_day = frame["rate_date"] != ctx.business_date
        if wrong_day.all():
            held = sorted({d.isoformat() for d in frame["rate_date"]})
            return (
                f"column 'time': the file holds rates for {', '.join(held)}, not the business date "
                f"{ctx.business_date.isoformat()} (no publication that day?)"
            )
        return first_violation(frame, frame["rate"] <= 0, "rate", "is not a positive rate")

    def load(self, ctx: RunContext, params: FxRatesParams, frame: pd.DataFrame) -> int:
        rows = frame[frame["rate_date"] == ctx.business_date].drop(columns=["rate_date"])
        if params.currencies is not None:
            rows = rows[rows["quote_currency"].isin(params.currencies)]
        rows.insert(0, "base_currency", params.base_currency)
        return super().load(ctx, params, rows)
