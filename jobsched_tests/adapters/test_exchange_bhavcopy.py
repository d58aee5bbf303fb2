"""exchange_bhavcopy against the sample server's zipped NSE bhavcopy (cmDDMONYYYYbhav.csv.zip)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected, SourceError
from jobsched.samples.feeds import bhavcopy_member, bhavcopy_zip
from jobsched.samples.payloads import bhavcopy_csv
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource

URL = "/content/historical/EQUITIES/{date:%Y}/{mon}/cm{date:%d}{mon}{date:%Y}bhav.csv.zip"


class TestExchangeBhavcopy(AdapterContract):
    adapter = "exchange_bhavcopy"
    fault_path = "/content/historical/"
    malformed_error = "column 'CLOSE' row 3: value 'n/a' is not a valid number >= 0"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {"url": src.url + URL, "exchange": "XNSE", "backoff_seconds": 0.01}

    def path(self) -> str:
        return f"/content/historical/EQUITIES/2026/NOV/{bhavcopy_member(self.business_date)}.zip"

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        lines = bhavcopy_csv(self.business_date).splitlines()
        fields = lines[3].split(",")
        fields[5] = "n/a"
        lines[3] = ",".join(fields)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(bhavcopy_member(self.business_date), "\n".join(lines) + "\n")
        src.override(self.path(), out.getvalue())

    def test_every_series_is_loaded(self, src, warehouse, jobsched_env) -> None:
        report = self.run(self.params(src, jobsched_env), warehouse, self.job_key())
        rows = len(bhavcopy_csv(self.business_date).splitlines()) - 1
        assert report.rows_loaded == report.rows_read == rows
        assert report.extra["member"] == "cm20NOV2026bhav.csv"

    def test_a_truncated_archive_is_rejected(self, src, warehouse, jobsched_env) -> None:
        data = bhavcopy_zip(self.business_date)
        src.override(self.path(), data[: len(data) - 200])
        with pytest.raises(BatchRejected, match=r"not a valid zip archive \(truncated download\?\)"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_a_holiday_is_a_clear_source_error(self, src, warehouse, jobsched_env) -> None:
        self.business_date = date(2026, 11, 21)
        with pytest.raises(SourceError, match=r"HTTP 404 .*not a trading day"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())
