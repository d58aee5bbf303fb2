"""bank_statements: ISO 20022 camt.053 end-of-day statements (validated against the schema) from a drop
folder or over SFTP -> bank_statement_entries. The opening balance plus the entries must give the
closing one."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from lxml import etree
from pydantic import Field, field_validator, model_validator

from jobsched.adapters.base import RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.dropfolder import DropFolderAdapter, DropFolderParams
from jobsched.adapters.parsing import first_violation
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.sources.sftp import SftpConnection, fetch_newest
from jobsched.adapters.warehouse import slice_table

SCHEMA = Path(__file__).parent / "schemas" / "camt.053.001.02.xsd"
NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}
FIELDS = ["iban", "currency", "statement_id", "entry_ref", "booking_date", "value_date", "amount", "side",
          "status", "bank_ref", "tx_code", "counterparty", "remittance"]  # fmt: skip

bank_statement_entries = slice_table(
    "bank_statement_entries",
    sa.Column("iban", sa.String(34), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("statement_id", sa.String(35), nullable=False),
    sa.Column("entry_ref", sa.String(35), nullable=False),
    sa.Column("booking_date", sa.Date, nullable=False),
    sa.Column("value_date", sa.Date),
    sa.Column("amount", sa.Numeric(18, 2), nullable=False),
    sa.Column("status", sa.String(4), nullable=False),
    sa.Column("bank_ref", sa.String(35)),
    sa.Column("tx_code", sa.String(35)),
    sa.Column("counterparty", sa.String(140)),
    sa.Column("remittance", sa.Text),
    key=("iban", "entry_ref"),
)


class BankStatementsParams(DropFolderParams):
    iban: str = Field(
        pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", description="account whose statement it is"
    )
    inbox: str | None = Field(None, description="drop folder (set this or sftp)")  # type: ignore[assignment]
    sftp: SftpConnection | None = Field(None, description="SFTP server (set this or inbox)")
    pattern: str = Field(
        "camt053_{account}_{date:%Y%m%d}.xml", description="file name (glob); {account}=IBAN"
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_template(value, account="")

    @model_validator(mode="after")
    def _one_source(self) -> BankStatementsParams:
        if (self.inbox is None) == (self.sftp is None):
            raise ValueError("set exactly one of inbox (drop folder) and sftp")
        return self


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@register("bank_statements")
class BankStatements(DropFolderAdapter):
    Params = BankStatementsParams
    description = "ISO 20022 camt.053 statements (XSD-validated) from a drop folder or SFTP -> entries."
    table = bank_statement_entries
    source_kind = "folder+sftp"
    upstream = ("bank_camt053_statements",)
    columns = (
        Col("iban", "iban"),
        Col("currency", "currency", pattern=r"[A-Z]{3}"),
        Col("statement_id", "statement_id"),
        Col("entry_ref", "entry_ref"),
        Col("booking_date", "booking_date", kind="date"),
        Col("value_date", "value_date", kind="date", required=False),
        Col("amount", "amount", kind="float"),
        Col("side", "side", choices=("CRDT", "DBIT")),
        Col("status", "status", choices=("BOOK", "PDNG", "INFO")),
        Col("bank_ref", "bank_ref", required=False),
        Col("tx_code", "tx_code", required=False),
        Col("counterparty", "counterparty", required=False),
        Col("remittance", "remittance", required=False),
    )
    natural_key = ("iban", "entry_ref")

    def read(self, ctx: RunContext, params: BankStatementsParams) -> SourceBatch:
        name = params.pattern.format(account=params.iban, date=ctx.business_date)
        if params.sftp is not None:
            remote = fetch_newest(params.sftp, name, ctx.log)
            extra: dict[str, Any] = {}
            data, source = remote.data, remote.url
        else:
            path, extra = self.locate(ctx, params, name)
            data, source = path.read_bytes(), str(path)
        batch = SourceBatch(pd.DataFrame(columns=FIELDS), source=source, extra=extra)
        rows, balances = self.parse(data, batch)
        batch.frame = pd.DataFrame(rows, columns=FIELDS, dtype=object)
        batch.extra.update(balances)
        return batch

    def parse(self, data: bytes, batch: SourceBatch) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        try:
            doc = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise self.reject(batch, f"not well-formed XML (truncated file?): {exc}") from None
        if not schema().validate(doc):
            error = schema().error_log[0]
            raise self.reject(batch, f"camt.053.001.02 schema: line {error.line}: {error.message}")
        statements = doc.findall("c:BkToCstmrStmt/c:Stmt", NS)
        rows: list[dict[str, Any]] = []
        opening = closing = Decimal(0)
        closing_dates = []
        for stmt in statements:
            iban = stmt.findtext("c:Acct/c:Id/c:IBAN", "", NS)
            stmt_id = stmt.findtext("c:Id", "", NS)
            for bal in stmt.findall("c:Bal", NS):
                code = bal.findtext("c:Tp/c:CdOrPrtry/c:Cd", "", NS)
                amount = _signed(bal.findtext("c:Amt", "0", NS), bal.findtext("c:CdtDbtInd", "", NS))
                if code in ("OPBD", "PRCD"):
                    opening += amount
                elif code == "CLBD":
                    closing += amount
                    closing_dates.append(bal.findtext("c:Dt/c:Dt", "", NS))
            for n, ntry in enumerate(stmt.findall("c:Ntry", NS), start=1):
                amt = ntry.find("c:Amt", NS)
                party = ntry.find("c:NtryDtls/c:TxDtls/c:RltdPties", NS)
                rows.append(
                    {
                        "iban": iban or stmt.findtext("c:Acct/c:Id/c:Othr/c:Id", "", NS),
                        "currency": amt.get("Ccy") if amt is not None else "",
                        "statement_id": stmt_id,
                        "entry_ref": ntry.findtext("c:NtryRef", "", NS)
                        or ntry.findtext("c:AcctSvcrRef", "", NS)
                        or f"{stmt_id}#{n}",
                        "booking_date": ntry.findtext("c:BookgDt/c:Dt", "", NS)
                        or ntry.findtext("c:BookgDt/c:DtTm", "", NS)[:10],
                        "value_date": ntry.findtext("c:ValDt/c:Dt", "", NS),
                        "amount": amt.text if amt is not None else "",
                        "side": ntry.findtext("c:CdtDbtInd", "", NS),
                        "status": ntry.findtext("c:Sts", "", NS),
                        "bank_ref": ntry.findtext("c:AcctSvcrRef", "", NS),
                        "tx_code": ntry.findtext("c:BkTxCd/c:Prtry/c:Cd", "", NS)
                        or ntry.findtext("c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd", "", NS),
                        "counterparty": party.findtext("c:Dbtr/c:Nm", "", NS)
                        or party.findtext("c:Cdtr/c:Nm", "", NS)
                        if party is not None
                        else "",
                        "remittance": ntry.findtext("c:NtryDtls/c:TxDtls/c:RmtInf/c:Ustrd", "", NS),
                    }
                )
        return rows, {
            "statements": len(statements),
            "opening_balance": str(opening),
            "closing_balance": str(closing),
            "closing_dates": ",".join(sorted(set(closing_dates))),
        }

    def validate(self, ctx: RunContext, params: BankStatementsParams, batch: SourceBatch) -> pd.DataFrame:
        frame = super().validate(ctx, params, batch)
        movement = sum(
            (_signed(str(v), s) for v, s in zip(batch.frame["amount"], batch.frame["side"], strict=True)),
            Decimal(0),
        )
        opening, closing = Decimal(batch.extra["opening_balance"]), Decimal(batch.extra["closing_balance"])
        if opening + movement != closing:
            raise self.reject(
                batch,
                f"balances do not reconcile: opening {opening} + entries {movement} = {opening + movement}, "
                f"but the closing balance (CLBD) is {closing}",
            )
        if batch.extra["closing_dates"] != ctx.business_date.isoformat():
            raise self.reject(
                batch,
                f"element 'Bal/Dt' (CLBD): value {batch.extra['closing_dates']!r} is not the business date "
                f"{ctx.business_date.isoformat()}",
            )
        return frame

    def check(self, ctx: RunContext, params: BankStatementsParams, frame: pd.DataFrame) -> str | None:
        return first_violation(
            frame, frame["iban"] != params.iban, "iban", f"is not the account {params.iban}"
        )

    def load(self, ctx: RunContext, params: BankStatementsParams, frame: pd.DataFrame) -> int:
        signed = frame["amount"].where(frame["side"] == "CRDT", -frame["amount"])
        return super().load(ctx, params, frame.drop(columns=["side"]).assign(amount=signed))


def _signed(amount: str, side: str) -> Decimal:
    """The schema has already checked the amount (ActiveOrHistoricCurrencyAndAmount); DBIT is negative."""
    value = Decimal(amount)
    return -value if side == "DBIT" else value
