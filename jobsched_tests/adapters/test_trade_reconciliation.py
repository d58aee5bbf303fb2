"""trade_reconciliation: internal trades from a SQL database (SQLite and Postgres) vs the broker's file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jobsched.adapters import BatchRejected, InvalidParams, SourceError, validate_params
from jobsched.adapters.trade_reconciliation import trade_breaks
from jobsched.samples.payloads import broker_trades_csv
from jobsched.samples.seed import seed_internal_trades
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource

ACCOUNT = "U1234567"


class TestTradeReconciliation(AdapterContract):
    adapter = "trade_reconciliation"
    fault_path = "/broker/trades/"
    malformed_error = "column 'Quantity' row 5: value 'ten' is not a valid number >= 0"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {
            "account": ACCOUNT,
            "trades_url": f"sqlite:///{data_dir / 'oms.db'}",
            "broker_file_url": src.url + "/broker/trades/{account}/{date:%Y%m%d}.csv",
            "backoff_seconds": 0.01,
        }

    def deliver(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        seed_internal_trades(params["trades_url"], [ACCOUNT], [self.business_date])

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        lines = broker_trades_csv(ACCOUNT, self.business_date).splitlines()
        fields = lines[5].split(",")
        fields[7] = "ten"
        lines[5] = ",".join(fields)
        src.override(f"/broker/trades/{ACCOUNT}/{self.business_date:%Y%m%d}.csv", "\n".join(lines) + "\n")

    def breaks(self, warehouse: sa.Engine, job_key: str) -> list[tuple[str, str]]:
        query = sa.select(trade_breaks.c.trade_id, trade_breaks.c.break_type).where(
            trade_breaks.c.job_key == job_key
        )
        with warehouse.connect() as conn:
            return sorted((r.trade_id[-4:], r.break_type) for r in conn.execute(query))

    def test_the_four_planted_breaks_are_found(self, src, any_warehouse, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        self.deliver(src, jobsched_env, params)
        report = self.run(params, any_warehouse, job_key)
        assert report.extra["internal_trades"] == 40 and report.extra["broker_trades"] == 40
        assert self.breaks(any_warehouse, job_key) == [
            ("0003", "MISSING_AT_BROKER"),
            ("0007", "QUANTITY_MISMATCH"),
            ("0011", "PRICE_MISMATCH"),
            ("9999", "MISSING_INTERNALLY"),
        ]

    def test_internal_trades_from_postgres(self, src, warehouse, jobsched_env, pg_warehouse_url) -> None:
        params = self.params(src, jobsched_env) | {"trades_url": pg_warehouse_url}
        self.deliver(src, jobsched_env, params)
        report = self.run(params, warehouse, self.job_key())
        assert report.rows_loaded == 4 and "postgres" in report.source

    def test_a_booking_for_another_account_is_rejected(self, src, warehouse, jobsched_env) -> None:
        params = self.params(src, jobsched_env)
        self.deliver(src, jobsched_env, params)
        with sa.create_engine(params["trades_url"]).begin() as conn:
            conn.execute(sa.text("UPDATE internal_trades SET account = 'OTHER' WHERE trade_id LIKE '%-0002'"))
        params["trades_query"] = "SELECT * FROM internal_trades WHERE trade_date = :business_date"
        with pytest.raises(
            BatchRejected, match=r"internal trades: column 'account' row 2: value 'OTHER' is not"
        ):
            self.run(params, warehouse, self.job_key())

    def test_a_broken_query_is_a_clear_source_error(self, src, warehouse, jobsched_env) -> None:
        params = self.params(src, jobsched_env) | {"trades_query": "SELECT nope FROM internal_trades"}
        self.deliver(src, jobsched_env, params)
        with pytest.raises(SourceError, match=r"sqlite:///.*oms.db: .*no such column: nope"):
            self.run(params, warehouse, self.job_key())

    def test_a_bad_database_url_is_rejected_as_a_param(self) -> None:
        with pytest.raises(InvalidParams, match=r"trades_url='not a url'"):
            validate_params(
                self.adapter, {"account": "A", "trades_url": "not a url", "broker_file_url": "http://x/"}
            )
