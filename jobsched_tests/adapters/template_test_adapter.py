"""TEMPLATE for a new adapter's tests. Copy to test_<your_adapter>.py and fill in the TODOs.

Subclassing AdapterContract gives the six tests every adapter must pass, against the real sample server or a
real folder, on SQLite and on the local Postgres:
  happy path through Dagster (metadata: rows read/loaded, source, business date), source 503 then recovery
  (urllib3 retry + Dagster RetryPolicy), timeout, malformed payload (whole batch rejected, clear error, no
  retry, previous slice intact), re-run of the same business date (no duplicates), failure mid-load
  (previous slice intact).
Add the source's payload to jobsched/samples (payloads.py + a route in server.py) so the tests and the demo
can serve it. test_eod_prices.py is a complete example of this template filled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource


class TestMyAdapter(AdapterContract):
    adapter = "my_adapter"  # TODO: the key you registered with @register("my_adapter")
    fault_path = "/my-source/"  # TODO: request-path prefix on the sample server; None for a drop folder
    malformed_error = "column 'amount' row 2: value 'abc' is not a valid number"  # TODO

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        # TODO: the job-definition params pointing at the sample server (src.url) or a folder under data_dir
        return {"url": src.url + "/my-source/{date:%Y-%m-%d}.json", "backoff_seconds": 0.01}

    def deliver(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        # TODO (drop folders / SQL sources only): put good data for self.business_date in place
        pass

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        # TODO: make the next read see bad data, e.g. serve an override file at the source's path
        src.override(f"/my-source/{self.business_date:%Y-%m-%d}.json", '[{"amount": "abc"}]')

    # TODO: adapter-specific tests (filters, domain rules, pagination...) as plain methods here
