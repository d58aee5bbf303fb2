"""swift_statements: SWIFT MT940 customer statements from a drop folder -> swift_statement_lines.

Each :61: statement line becomes a row; :60F:/:62F: balances must reconcile with the lines, and a file cut
short (no :62F: or no closing '-}') is rejected as incomplete.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.dropfolder import DropFolderAdapter, DropFolderParams
from jobsched.adapters.parsing import first_violation
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.warehouse import slice_table

TAG = re.compile(r"^:(?P<tag>\d{2}[A-Z]?):(?P<value>.*)$")
BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<ccy>[A-Z]{3})(?P<amount>\d{1,15},\d{0,2})$")
LINE = re.compile(
    r"^(?P<value_date>\d{6})(?P<entry_date>\d{4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?(?P<amount>[^A-Z]+)"
    r"(?P<type>[NFS][A-Z0-9]{3})(?P<ref>[^/]{0,16})(?://(?P<bank_ref>.{0,16}))?$"
)
FIELDS = ["account", "statement_no", "line_no", "value_date", "mark", "amount", "currency", "tx_type",
          "reference", "bank_ref", "details"]  # fmt: skip

swift_statement_lines = slice_table(
    "swift_statement_lines",
    sa.Column("account", sa.String(35), nullable=False),
    sa.Column("statement_no", sa.String(12), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("amount", sa.Numeric(18, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("tx_type", sa.String(4), nullable=False),
    sa.Column("reference", sa.String(16)),
    sa.Column("bank_ref", sa.String(16)),
    sa.Column("details", sa.Text),
    key=("account", "statement_no", "line_no"),
)


class SwiftStatementsParams(DropFolderParams):
    account: str = Field(min_length=1, max_length=35, description="the account of field :25:")
    pattern: str = Field("mt940_{account}_{date:%Y%m%d}.sta", description="file name (glob) per date")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_template(value, account="")


class Mt940Error(ValueError):
    pass


def parse_mt940(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(lines, statements) of an MT940 file; Mt940Error naming the line number of what is wrong."""
    lines: list[dict[str, Any]] = []
    statements: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    last_tag = ""
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if line.startswith("{1:"):
            current = {"account": "", "statement_no": "", "lines": 0, "closed": False, "at": number}
            statements.append(current)
            last_tag = ""
            continue
        if line == "-}":
            if current is None:
                raise Mt940Error(f"line {number}: '-}}' outside a message")
            current["closed"] = True
            continue
        if current is None or not line:
            continue
        match = TAG.match(line)
        if match is None:
            if last_tag == "86" and lines:  # :86: continues on following lines
                lines[-1]["details"] += " " + line.strip()
                continue
            raise Mt940Error(f"line {number}: value {line[:40]!r} is neither a :tag: nor a continuation")
        tag, value = match["tag"], match["value"]
        last_tag = tag
        if tag == "25":
            current["account"] = value.strip()
        elif tag == "28C":
            current["statement_no"] = value.strip()
        elif tag in ("60F", "60M", "62F", "62M"):
            bal = BALANCE.match(value.strip())
            if bal is None:
                raise Mt940Error(
                    f"line {number}: tag :{tag}: value {value!r} is not a balance (C/D YYMMDD CCY amount)"
                )
            amount = Decimal(bal["amount"].replace(",", "."))
            current["opening" if tag.startswith("60") else "closing"] = (
                amount if bal["mark"] == "C" else -amount
            )
            current["currency"] = bal["ccy"]
            if tag.startswith("62"):
                current["closing_date"] = bal["date"]
        elif tag == "61":
            entry = LINE.match(value.strip())
            if entry is None:
                raise Mt940Error(f"line {number}: tag :61: value {value!r} is not a statement line")
            current["lines"] += 1
            raw_amount = entry["amount"]
            lines.append(
                {
                    "account": current["account"],
                    "statement_no": current["statement_no"],
                    "line_no": str(current["lines"]),
                    "value_date": entry["value_date"],
                    "mark": entry["mark"],
                    "amount": raw_amount.replace(",", ".")
                    if re.fullmatch(r"\d+,\d*", raw_amount)
                    else raw_amount,
                    "currency": current.get("currency", ""),
                    "tx_type": entry["type"],
                    "reference": entry["ref"],
                    "bank_ref": entry["bank_ref"] or "",
                    "details": "",
                }
            )
        elif tag == "86" and lines:
            lines[-1]["details"] = value.strip()
    if not statements:
        raise Mt940Error("line 1: no MT940 message ('{1:' block) found")
    for stmt in statements:
        if "closing" not in stmt or not stmt["closed"]:
            raise Mt940Error(
                f"line {stmt['at']}: statement {stmt['statement_no'] or '?'} has no closing balance :62F: "
                "or no '-}' terminator: the file is incomplete"
            )
    return lines, statements


@register("swift_statements")
class SwiftStatements(DropFolderAdapter):
    Params = SwiftStatementsParams
    description = "SWIFT MT940 customer statements from a drop folder -> swift_statement_lines."
    table = swift_statement_lines
    upstream = ("bank_mt940_statements",)
    columns = (
        Col("account", "account"),
        Col("statement_no", "statement_no", pattern=r"\d{1,5}(/\d{1,5})?"),
        Col("line_no", "line_no", kind="int", min_value=1),
        Col("value_date", "value_date", kind="date", date_format="%y%m%d"),
        Col("mark", "mark", choices=("C", "D", "RC", "RD")),
        Col("amount", "amount", kind="float", min_value=0),
        Col("currency", "currency", pattern=r"[A-Z]{3}"),
        Col("tx_type", "tx_type"),
        Col("reference", "reference", required=False),
        Col("bank_ref", "bank_ref", required=False),
        Col("details", "details", required=False),
    )
    natural_key = ("account", "statement_no", "line_no")

    def read(self, ctx: RunContext, params: SwiftStatementsParams) -> SourceBatch:
        name = params.pattern.format(account=params.account, date=ctx.business_date)
        path, extra = self.locate(ctx, params, name)
        batch = SourceBatch(pd.DataFrame(columns=FIELDS), source=str(path), extra=extra)
        try:
            text = path.read_bytes().decode("latin-1")
            rows, statements = parse_mt940(text)
        except Mt940Error as exc:
            raise self.reject(batch, f"MT940 {exc}") from None
        batch.frame = pd.DataFrame(rows, columns=FIELDS, dtype=object)
        batch.extra["statements"] = len(statements)
        batch.extra["_statements"] = statements
        return batch

    def validate(self, ctx: RunContext, params: SwiftStatementsParams, batch: SourceBatch) -> pd.DataFrame:
        frame = super().validate(ctx, params, batch)
        signed = frame["amount"].where(frame["mark"].isin(["C", "RD"]), -frame["amount"])
        for stmt in batch.extra["_statements"]:
            mine = (frame["statement_no"] == stmt["statement_no"]) & (frame["account"] == stmt["account"])
            movement = Decimal(str(round(float(signed[mine].sum()), 2)))
            if stmt["opening"] + movement != stmt["closing"]:
                raise self.reject(
                    batch,
                    f"statement {stmt['statement_no']}: opening :60F: {stmt['opening']} + lines {movement} "
                    f"!= closing :62F: {stmt['closing']}",
                )
            if stmt["closing_date"] != f"{ctx.business_date:%y%m%d}":
                raise self.reject(
                    batch,
                    f"tag ':62F:' statement {stmt['statement_no']}: value {stmt['closing_date']!r} "
                    f"is not the business date {ctx.business_date:%y%m%d}",
                )
        return frame

    def check(self, ctx: RunContext, params: SwiftStatementsParams, frame: pd.DataFrame) -> str | None:
        return first_violation(
            frame, frame["account"] != params.account, "account", f"is not {params.account!r}"
        )

    def load(self, ctx: RunContext, params: SwiftStatementsParams, frame: pd.DataFrame) -> int:
        signed = frame["amount"].where(frame["mark"].isin(["C", "RD"]), -frame["amount"])
        return super().load(ctx, params, frame.drop(columns=["mark"]).assign(amount=signed))
