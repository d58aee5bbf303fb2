"""swift_statements: SWIFT MT940 files from a drop folder; balances reconcile, files cut short are refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected
from jobsched.adapters.swift_statements import Mt940Error, parse_mt940
from jobsched.samples.feeds import mt940, statement_entries
from jobsched_tests.adapters.dropfolder_contract import DropFolderContract

ACCOUNT = "NL91ABNA0417164300"


class TestSwiftStatements(DropFolderContract):
    adapter = "swift_statements"
    malformed_error = "column 'amount' row 3: value '12x50' is not a valid number >= 0"
    truncated_error = r"no closing balance :62F: or no '-}' terminator: the file is incomplete"
    rows = len(statement_entries(ACCOUNT, date(2026, 11, 20))[1])

    def extra_params(self) -> dict[str, Any]:
        return {"account": ACCOUNT}

    def file_name(self) -> str:
        return f"mt940_{ACCOUNT}_{self.business_date:%Y%m%d}.sta"

    def content(self) -> bytes:
        return mt940(ACCOUNT, self.business_date).encode("latin-1")

    def deliver_malformed(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        lines = mt940(ACCOUNT, self.business_date).split("\r\n")
        third = [i for i, line in enumerate(lines) if line.startswith(":61:")][2]
        mark = 14 if lines[third][14] in "CD" else 10
        head, rest = lines[third][: mark + 1], lines[third][mark + 1 :]
        lines[third] = head + "12x50" + rest[rest.index("N") :]
        self.inbox_file(params).write_text("\r\n".join(lines))

    def test_lines_that_do_not_add_up_to_the_closing_balance_are_rejected(
        self, warehouse, jobsched_env
    ) -> None:
        params = self.params(None, jobsched_env)
        text = mt940(ACCOUNT, self.business_date)
        lines = text.split("\r\n")
        lines = [line for i, line in enumerate(lines) if i not in (5, 6)]  # the first :61: and its :86:
        self.inbox_file(params).write_text("\r\n".join(lines))
        with pytest.raises(BatchRejected, match=r"statement \d+/1: opening :60F: .* != closing :62F:"):
            self.run(params, warehouse, self.job_key())

    def test_parser_names_the_line_of_a_bad_tag(self) -> None:
        text = mt940(ACCOUNT, self.business_date).replace(":60F:C", ":60F:X", 1)
        with pytest.raises(Mt940Error, match=r"line 5: tag :60F: value 'X2611"):
            parse_mt940(text)

    def test_swift_transfer_type_and_funds_code(self) -> None:
        text = mt940(ACCOUNT, self.business_date)
        first = next(line for line in text.split("\r\n") if line.startswith(":61:"))
        swapped = first[:14] + "R" + first[14] + "E" + first[15:].replace("N", "F", 1)  # RC/RD, funds code E
        lines, _ = parse_mt940(text.replace(first, swapped, 1))
        assert lines[0]["mark"] in ("RC", "RD") and lines[0]["tx_type"].startswith("F")
        assert lines[0]["amount"].replace(".", "").isdigit()

    def test_multi_line_details_are_joined(self) -> None:
        text = mt940(ACCOUNT, self.business_date).replace(":86:INV", ":86:PAYMENT\r\nINV", 1)
        lines, _ = parse_mt940(text)
        assert lines[0]["details"].startswith("PAYMENT INV-")
