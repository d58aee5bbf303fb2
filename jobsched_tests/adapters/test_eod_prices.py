"""eod_prices against the sample server's bhavcopy: the contract plus exchange-file specifics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import SourceError
from jobsched.samples.payloads import bhavcopy_csv
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource


class TestEodPrices(AdapterContract):
    adapter = "eod_prices"
    fault_path = "/eod/bhavcopy/"
    malformed_error = "column 'CLOSE' row 3: value 'n/a' is not a valid number >= 0"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {
            "url": src.url + "/eod/bhavcopy/{date:%Y%m%d}.csv",
            "exchange": "XNSE",
            "backoff_seconds": 0.01,
        }

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        lines = bhavcopy_csv(self.business_date).splitlines()
        fields = lines[3].split(",")
        fields[5] = "n/a"  # CLOSE of the third data row
        lines[3] = ",".join(fields)
        src.override(f"/eod/bhavcopy/{self.business_date:%Y%m%d}.csv", "\n".join(lines[:10]) + "\n")

    def test_only_the_configured_series_is_loaded(self, src, warehouse, jobsched_env) -> None:
        report = self.run(self.params(src, jobsched_env) | {"series": ["BE"]}, warehouse, self.job_key())
        expected = sum(1 for line in bhavcopy_csv(self.business_date).splitlines() if ",BE," in line)
        assert report.rows_loaded == expected > 0 and report.rows_read > expected

    def test_a_non_trading_day_is_a_clear_source_error(self, src, warehouse, jobsched_env) -> None:
        self.business_date = date(2026, 11, 21)  # Saturday: the exchange publishes nothing
        with pytest.raises(SourceError, match=r"HTTP 404 .*not a trading day"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_a_file_for_another_date_is_rejected(self, src, warehouse, jobsched_env) -> None:
        src.override(f"/eod/bhavcopy/{self.business_date:%Y%m%d}.csv", bhavcopy_csv(date(2026, 11, 19)))
        with pytest.raises(
            Exception, match=r"column 'TIMESTAMP' row 1: value '2026-11-19' is not the business date"
        ):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())
