"""fx_rates against the sample server's ECB eurofxref XML."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected
from jobsched.samples.payloads import ECB_BASE, ecb_daily_xml
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource


class TestFxRates(AdapterContract):
    adapter = "fx_rates"
    fault_path = "/ecb/"
    malformed_error = "payload is not valid XML: mismatched tag"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {"url": src.url + "/ecb/eurofxref-daily.xml?date={date:%Y-%m-%d}", "backoff_seconds": 0.01}

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        broken = ecb_daily_xml(self.business_date).replace("</Cube>\n\t</Cube>", "</Cube>\n\t</Cubes>")
        src.override("/ecb/eurofxref-daily.xml", broken)

    def test_every_currency_of_the_day_is_loaded(self, src, warehouse, jobsched_env) -> None:
        report = self.run(self.params(src, jobsched_env), warehouse, self.job_key())
        assert report.rows_loaded == len(ECB_BASE) and report.extra["published"] == "2026-11-20"

    def test_weekend_gets_fridays_file_and_is_rejected_clearly(self, src, warehouse, jobsched_env) -> None:
        self.business_date = date(2026, 11, 22)
        with pytest.raises(
            BatchRejected, match=r"holds rates for 2026-11-20, not the business date 2026-11-22"
        ):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_negative_rate_names_currency_row_and_value(self, src, warehouse, jobsched_env) -> None:
        src.override(
            "/ecb/eurofxref-daily.xml", ecb_daily_xml(self.business_date).replace("rate='", "rate='-", 1)
        )
        with pytest.raises(
            BatchRejected, match=r"column 'rate' row 1: value '-[0-9.]+' is not a valid number >= 0"
        ):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_an_xml_that_is_not_eurofxref_is_rejected(self, src, warehouse, jobsched_env) -> None:
        src.override("/ecb/eurofxref-daily.xml", "<?xml version='1.0'?><rates><rate ccy='USD'/></rates>")
        with pytest.raises(BatchRejected, match="not an ECB eurofxref document"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())
