"""instrument_master: a large reference file (gzip CSV, >= 1M rows) streamed over HTTP, bulk loaded."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import requests
import sqlalchemy as sa

from jobsched import settings
from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.errors import SourceError
from jobsched.adapters.parsing import read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import UrlTemplate, get, session_for
from jobsched.adapters.warehouse import slice_table

ASSET_CLASSES = ("EQUITY", "BOND", "ETF", "FUTURE", "OPTION", "FUND", "WARRANT")

instruments = slice_table(
    "instruments",
    sa.Column("instrument_id", sa.String(32), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("asset_class", sa.String(10), nullable=False),
    sa.Column("mic", sa.String(4), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("lot_size", sa.BigInteger, nullable=False),
    sa.Column("tick_size", sa.Float, nullable=False),
    sa.Column("listing_date", sa.Date),
    sa.Column("status", sa.String(10), nullable=False),
    key=("instrument_id",),
)

COLUMNS = (
    Col("instrument_id"),
    Col("isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]"),
    Col("symbol"),
    Col("name"),
    Col("asset_class", choices=ASSET_CLASSES),
    Col("mic", pattern=r"[A-Z0-9]{4}"),
    Col("currency", pattern=r"[A-Z]{3}"),
    Col("lot_size", kind="int", min_value=1),
    Col("tick_size", kind="float", min_value=0),
    Col("listing_date", kind="date", required=False),
    Col("status", choices=("ACTIVE", "SUSPENDED", "DELISTED")),
)


class InstrumentMasterParams(UrlTemplate):
    timeout_seconds: float = 120.0


@register("instrument_master")
class InstrumentMaster(BaseAdapter):
    Params = InstrumentMasterParams
    description = "Large instrument reference file (gzip CSV over HTTP), bulk loaded (COPY on Postgres)."
    table = instruments
    source_kind = "http"
    upstream = ("instrument_reference_file",)
    columns = COLUMNS
    natural_key = ("instrument_id",)

    def read(self, ctx: RunContext, params: InstrumentMasterParams) -> SourceBatch:
        url = params.url.format(date=ctx.business_date, account="")
        suffix = ".csv.gz" if url.split("?")[0].endswith(".gz") else ".csv"
        fd, name = tempfile.mkstemp(prefix="instruments_", suffix=suffix, dir=settings.data_dir())
        path = Path(name)
        try:
            with session_for(params) as session, os.fdopen(fd, "wb") as out:
                response = get(session, url, params, ctx.log, stream=True)
                try:
                    for block in response.iter_content(chunk_size=1 << 20):
                        out.write(block)
                except requests.exceptions.RequestException as exc:
                    raise SourceError(url, f"download interrupted: {exc}") from None
            ctx.log.info(f"downloaded {path.stat().st_size} bytes from {url}")
            frame = read_csv(path, adapter_key=self.key, source=url)
        finally:
            path.unlink(missing_ok=True)
        return SourceBatch(frame, source=url)
