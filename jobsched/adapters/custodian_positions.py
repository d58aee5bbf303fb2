"""custodian_positions: a custodian's end-of-day positions CSV per account over SFTP."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import AdapterParams, BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.parsing import positions_problem, read_csv
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.sources.sftp import SftpConnection, fetch_newest
from jobsched.adapters.warehouse import slice_table

ISIN = r"[A-Z]{2}[A-Z0-9]{9}[0-9]"

custodian_positions = slice_table(
    "custodian_positions",
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("custodian", sa.String(40), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("security_name", sa.Text),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("market_value", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    key=("account", "isin"),
)


class CustodianPositionsParams(AdapterParams):
    account: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$", description="custody account")
    sftp: SftpConnection
    pattern: str = Field("positions_{account}_{date:%Y%m%d}.csv", description="remote file name (glob)")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_template(value, account="")


@register("custodian_positions")
class CustodianPositions(BaseAdapter):
    Params = CustodianPositionsParams
    description = "Custodian positions CSV per account and date over SFTP -> custodian_positions."
    table = custodian_positions
    source_kind = "sftp"
    upstream = ("custodian_sftp",)
    columns = (
        Col("Account", "account"),
        Col("Custodian", "custodian", upper=True),
        Col("ISIN", "isin", pattern=ISIN, upper=True),
        Col("Security Name", "security_name", required=False),
        Col("Quantity", "quantity", kind="float"),
        Col("Price", "price", kind="float", min_value=0),
        Col("Market Value", "market_value", kind="float"),
        Col("Currency", "currency", pattern=r"[A-Z]{3}", upper=True),
        Col("Position Date", "position_date", kind="date"),
    )
    natural_key = ("account", "isin")

    def read(self, ctx: RunContext, params: CustodianPositionsParams) -> SourceBatch:
        name = params.pattern.format(account=params.account, date=ctx.business_date)
        remote = fetch_newest(params.sftp, name, ctx.log)
        frame = read_csv(remote.data, adapter_key=self.key, source=remote.url)
        return SourceBatch(frame, source=remote.url, extra={"file": remote.name})

    def check(self, ctx: RunContext, params: CustodianPositionsParams, frame: pd.DataFrame) -> str | None:
        labels = ("Position Date", "Account", "Market Value")
        return positions_problem(frame, ctx.business_date, params.account, "position_date", labels)

    def load(self, ctx: RunContext, params: CustodianPositionsParams, frame: pd.DataFrame) -> int:
        return super().load(ctx, params, frame.drop(columns=["position_date"]))
