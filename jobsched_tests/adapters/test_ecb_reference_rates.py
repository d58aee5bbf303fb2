"""ecb_reference_rates against the sample server's ECB daily and 90-day history files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected, SourceError
from jobsched.samples.feeds import ecb_hist_90d_xml, ecb_rates
from jobsched.samples.payloads import ECB_BASE
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource


class TestEcbReferenceRates(AdapterContract):
    adapter = "ecb_reference_rates"
    fault_path = "/ecb/"
    malformed_error = "column 'rate' row 1: value 'n/a' is not a valid number >= 0"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {"url": src.url + "/ecb/eurofxref-hist-90d.xml?date={date:%Y-%m-%d}", "backoff_seconds": 0.01}

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        xml = ecb_hist_90d_xml(self.business_date)
        first_rate = f"rate='{next(iter(ecb_rates(self.business_date).values()))}'"
        src.override("/ecb/eurofxref-hist-90d.xml", xml.replace(first_rate, "rate='n/a'", 1))

    def test_the_business_dates_cube_of_the_history_is_loaded(self, src, warehouse, jobsched_env) -> None:
        self.business_date = date(2026, 10, 14)
        report = self.run(self.params(src, jobsched_env), warehouse, self.job_key())
        assert report.rows_loaded == len(ECB_BASE) and report.extra["publications_in_file"] > 40
        with warehouse.connect() as conn:
            import sqlalchemy as sa

            usd = conn.execute(
                sa.text("SELECT rate_per_eur, eur_per_unit FROM ecb_reference_rates WHERE currency = 'USD'")
            ).one()
        assert usd[0] == ecb_rates(date(2026, 10, 14))["USD"] and abs(usd[0] * usd[1] - 1) < 1e-12

    def test_not_yet_published_is_retryable(self, src, warehouse, jobsched_env) -> None:
        params = {"url": src.url + "/ecb/eurofxref-daily.xml?date=2026-11-19", "backoff_seconds": 0.01}
        with pytest.raises(
            SourceError, match=r"rates for 2026-11-20 are not published yet \(newest: 2026-11-19\)"
        ) as caught:
            self.run(params, warehouse, self.job_key())
        assert caught.value.retryable

    def test_a_target_closing_day_is_not_retried(self, src, warehouse, jobsched_env) -> None:
        self.business_date = date(2026, 12, 25)
        params = {"url": src.url + "/ecb/eurofxref-hist-90d.xml?date=2026-12-28", "backoff_seconds": 0.01}
        with pytest.raises(SourceError, match="2026-12-25 .*a TARGET closing day") as caught:
            self.run(params, warehouse, self.job_key())
        assert not caught.value.retryable

    def test_another_senders_document_is_rejected(self, src, warehouse, jobsched_env) -> None:
        xml = ecb_hist_90d_xml(self.business_date).replace("European Central Bank", "Some Bank")
        src.override("/ecb/eurofxref-hist-90d.xml", xml)
        with pytest.raises(BatchRejected, match=r"not the ECB layout: .*sender 'Some Bank'"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_a_truncated_download_is_rejected(self, src, warehouse, jobsched_env) -> None:
        xml = ecb_hist_90d_xml(self.business_date)
        src.override("/ecb/eurofxref-hist-90d.xml", xml[: len(xml) // 2])
        with pytest.raises(BatchRejected, match="payload is not well-formed XML"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())
