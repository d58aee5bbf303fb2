"""portfolio_import: a broker's holdings CSV per account, picked up from a drop folder and archived."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import AdapterParams, BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.parsing import positions_problem, read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.folder import archive_file, find_file
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.warehouse import slice_table

ISIN = r"[A-Z]{2}[A-Z0-9]{9}[0-9]"

portfolio_holdings = slice_table(
    "portfolio_holdings",
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("market_value", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("broker", sa.String(40), nullable=False),
    key=("account", "isin"),
)


class PortfolioParams(AdapterParams):
    account: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$", description="broker account number")
    broker: str = Field(min_length=1, max_length=40)
    inbox: str = Field(description="drop folder the broker delivers into")
    archive: str | None = Field(None, description="where loaded files go (default: <inbox>/archive)")
    pattern: str = Field("holdings_{account}_{date:%Y%m%d}.csv", description="file name (glob) per date")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_template(value, account="")

    def archive_path(self) -> Path:
        return Path(self.archive) if self.archive else Path(self.inbox) / "archive"


@register("portfolio_import")
class PortfolioImport(BaseAdapter):
    Params = PortfolioParams
    description = "Broker holdings CSV per account from a drop folder -> portfolio_holdings."
    table = portfolio_holdings
    source_kind = "folder"
    upstream = ("broker_holdings_files",)
    columns = (
        Col("Account", "account"),
        Col("Symbol", "symbol", upper=True),
        Col("ISIN", "isin", pattern=ISIN, upper=True),
        Col("Description", "description", required=False),
        Col("Quantity", "quantity", kind="float"),
        Col("Price", "price", kind="float", min_value=0),
        Col("Market Value", "market_value", kind="float"),
        Col("Currency", "currency", pattern=r"[A-Z]{3}", upper=True),
        Col("As Of", "as_of", kind="date"),
    )
    natural_key = ("account", "isin")

    def read(self, ctx: RunContext, params: PortfolioParams) -> SourceBatch:
        name = params.pattern.format(account=params.account, date=ctx.business_date)
        path, archived = find_file(
            Path(params.inbox), name, ctx.business_date, params.archive_path(), ctx.log
        )
        frame = read_csv(path, adapter_key=self.key, source=str(path))
        return SourceBatch(frame, source=str(path), extra={"file": str(path), "from_archive": int(archived)})

    def check(self, ctx: RunContext, params: PortfolioParams, frame: pd.DataFrame) -> str | None:
        return positions_problem(frame, ctx.business_date, params.account, "as_of", ("As Of", "", ""))

    def load(self, ctx: RunContext, params: PortfolioParams, frame: pd.DataFrame) -> int:
        rows = frame.drop(columns=["as_of"]).assign(broker=params.broker)
        return super().load(ctx, params, rows)

    def after_load(self, ctx: RunContext, params: PortfolioParams, batch: SourceBatch) -> None:
        if batch.extra.get("from_archive"):
            return
        target = archive_file(Path(batch.extra["file"]), params.archive_path(), ctx.business_date, ctx.run_id)
        batch.extra["archived_to"] = str(target)
        ctx.log.info(f"archived {batch.extra['file']} -> {target}")
