"""exchange_bhavcopy: the exchange's zipped bhavcopy (NSE layout: cmDDMONYYYYbhav.csv.zip) over HTTP ->
exchange_bhavcopy, every series. A truncated or corrupt archive is rejected, never half loaded."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
from pydantic import Field, field_validator

from jobsched.adapters.base import RunContext, SourceBatch
from jobsched.adapters.eod_prices import EodPrices, bhavcopy_table
from jobsched.adapters.parsing import read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import HttpParams, check_template, get, session_for

exchange_bhavcopy = bhavcopy_table("exchange_bhavcopy")


class BhavcopyZipParams(HttpParams):
    url: str = Field(
        description="URL template; {mon} is the upper-case month (NOV), e.g. "
        "http://host/content/historical/EQUITIES/{date:%Y}/{mon}/cm{date:%d}{mon}{date:%Y}bhav.csv.zip"
    )
    exchange: str = Field("XNSE", pattern=r"^[A-Z0-9]{4}$", description="MIC of the exchange")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return check_template(value, mon="")


@register("exchange_bhavcopy")
class ExchangeBhavcopy(EodPrices):
    Params = BhavcopyZipParams  # type: ignore[assignment]
    description = (
        "Exchange bhavcopy, zipped CSV in the NSE layout over HTTP -> exchange_bhavcopy (all series)."
    )
    table = exchange_bhavcopy

    def read(self, ctx: RunContext, params: BhavcopyZipParams) -> SourceBatch:  # type: ignore[override]
        url = params.url.format(date=ctx.business_date, mon=ctx.business_date.strftime("%b").upper())
        with session_for(params) as session:
            response = get(session, url, params, ctx.log)
        batch = SourceBatch(pd.DataFrame(), source=url, extra={"zip_bytes": len(response.content)})
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
                if len(members) != 1:
                    names = [m.filename for m in archive.infolist()]
                    raise self.reject(batch, f"the archive holds {names}, expected exactly one .csv")
                data = archive.read(members[0])
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            raise self.reject(batch, f"not a valid zip archive (truncated download?): {exc}") from None
        batch.extra["member"] = members[0].filename
        batch.frame = read_csv(data, adapter_key=self.key, source=f"{url}!{members[0].filename}")
        return batch

    def load(self, ctx: RunContext, params: BhavcopyZipParams, frame: pd.DataFrame) -> int:  # type: ignore[override]
        rows = frame.drop(columns=["trade_date"])
        rows.insert(0, "exchange", params.exchange)
        return super(EodPrices, self).load(ctx, params, rows)
