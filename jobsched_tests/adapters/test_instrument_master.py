"""instrument_master: a large gzip CSV streamed from the sample server and bulk loaded (COPY on Postgres)."""

from __future__ import annotations

import gzip
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected
from jobsched.samples.instruments import write_instruments
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource

ROWS = 3000


def gz_instruments(rows: int, day: date, corrupt_row: int | None = None) -> bytes:
    text = io.StringIO()
    write_instruments(text, rows, day)
    lines = text.getvalue().splitlines()
    if corrupt_row is not None:
        fields = lines[corrupt_row].split(",")
        fields[1] = "XX123"
        lines[corrupt_row] = ",".join(fields)
    return gzip.compress(("\n".join(lines) + "\n").encode())


class TestInstrumentMaster(AdapterContract):
    adapter = "instrument_master"
    fault_path = "/reference/instruments/"
    malformed_error = "column 'isin' row 2500: value 'XX123' is not a valid isin (pattern"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        url = src.url + "/reference/instruments/{date:%Y%m%d}.csv.gz?rows=" + str(ROWS)
        return {"url": url, "backoff_seconds": 0.01}

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        path = f"/reference/instruments/{self.business_date:%Y%m%d}.csv.gz"
        src.override(path, gz_instruments(ROWS, self.business_date, corrupt_row=2500))

    def test_bulk_load_of_a_large_file(self, src, any_warehouse, jobsched_env) -> None:
        params = self.params(src, jobsched_env)
        params["url"] = params["url"].replace(f"rows={ROWS}", "rows=100000")
        report = self.run(params, any_warehouse, self.job_key())
        assert report.rows_read == report.rows_loaded == 100_000

    def test_a_truncated_gzip_is_rejected(self, src, warehouse, jobsched_env) -> None:
        data = gz_instruments(ROWS, self.business_date)
        src.override(f"/reference/instruments/{self.business_date:%Y%m%d}.csv.gz", data[: len(data) // 2])
        with pytest.raises(
            BatchRejected, match=r"rejected, nothing loaded: not a valid CSV file: .*(end|EOF)"
        ):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())
