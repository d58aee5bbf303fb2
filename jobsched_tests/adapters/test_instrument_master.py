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


def gz_instruments(
    rows: int, day: date, corrupt_row: int | None = None, field: int = 1, value: str = "XX123"
) -> bytes:
    """The file as the sample server makes it; `corrupt_row` (1-based data row) gets `value` in `field`."""
    text = io.StringIO()
    write_instruments(text, rows, day)
    lines = text.getvalue().splitlines()
    if corrupt_row is not None:
        fields = lines[corrupt_row].split(",")
        fields[field] = value
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

    @pytest.mark.parametrize(
        ("field", "value", "error"),
        [
            (7, "5O", "column 'lot_size' row 41237: value '5O' is not a valid integer >= 1 (1 bad value(s))"),
            (9, "2026-02-30", "column 'listing_date' row 41237: value '2026-02-30' is not a valid date"),
            (5, "XN-E", "column 'mic' row 41237: value 'XN-E' is not a valid mic (pattern"),
        ],
    )
    def test_a_bad_value_deep_in_a_large_file_names_its_row_and_loads_nothing(
        self, src, any_warehouse, jobsched_env, field: int, value: str, error: str
    ) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        good = self.run(params, any_warehouse, job_key)
        before = self.slice_runs(any_warehouse, job_key)
        data = gz_instruments(50_000, self.business_date, corrupt_row=41_237, field=field, value=value)
        src.override(f"/reference/instruments/{self.business_date:%Y%m%d}.csv.gz", data)
        with pytest.raises(BatchRejected, match="rejected, nothing loaded") as rejected:
            self.run(params, any_warehouse, job_key)
        assert error in str(rejected.value)
        assert self.slice_runs(any_warehouse, job_key) == before and len(before) == good.rows_loaded
