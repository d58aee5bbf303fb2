"""broker_confirms: Excel workbooks (openpyxl) from a drop folder; cells typed as the payload's text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected
from jobsched.samples.feeds import broker_confirms_xlsx, confirm_rows
from jobsched_tests.adapters.dropfolder_contract import DropFolderContract

BROKER = "KOTAK"


class TestBrokerConfirms(DropFolderContract):
    adapter = "broker_confirms"
    malformed_error = "column 'Price' row 3: value 'n/a' is not a valid number >= 0"
    truncated_error = "not a readable Excel workbook"
    rows = 25

    def extra_params(self) -> dict[str, Any]:
        return {"broker": BROKER}

    def file_name(self) -> str:
        return f"confirms_{BROKER}_{self.business_date:%Y%m%d}.xlsx"

    def content(self) -> bytes:
        return broker_confirms_xlsx(BROKER, self.business_date)

    def write_rows(self, params: dict[str, Any], rows: list[list[Any]]) -> None:
        self.inbox_file(params).write_bytes(broker_confirms_xlsx(BROKER, self.business_date, rows))

    def deliver_malformed(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        rows = confirm_rows(BROKER, self.business_date)
        rows[2][8] = "n/a"
        self.write_rows(params, rows)

    def test_net_amount_must_follow_from_gross_and_commission(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env)
        rows = confirm_rows(BROKER, self.business_date)
        rows[5][11] = round(rows[5][11] + 100, 2)
        self.write_rows(params, rows)
        with pytest.raises(
            BatchRejected, match=r"column 'Net Amount' row 6: value [0-9.]+ is not Gross Amount"
        ):
            self.run(params, warehouse, self.job_key())

    def test_a_missing_sheet_is_named(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env) | {"sheet": "Trades"}
        self.deliver(None, jobsched_env, params)
        with pytest.raises(
            BatchRejected, match=r"no worksheet 'Trades'; the workbook has \['Confirms', 'Notes'\]"
        ):
            self.run(params, warehouse, self.job_key())

    def test_excel_dates_and_whole_numbers_load_typed(self, warehouse, jobsched_env) -> None:
        import sqlalchemy as sa

        params, job_key = self.params(None, jobsched_env), self.job_key()
        self.deliver(None, jobsched_env, params)
        self.run(params, warehouse, job_key)
        with warehouse.connect() as conn:
            row = conn.execute(sa.text("SELECT settlement_date, quantity FROM broker_confirms LIMIT 1")).one()
        assert str(row[0]) == "2026-11-23" and float(row[1]).is_integer()
