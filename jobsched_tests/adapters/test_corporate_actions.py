"""corporate_actions against the sample server's paginated, rate-limited JSON API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from jobsched.adapters import BatchRejected, SourceError
from jobsched.defs.jobs import op_name, run_config
from jobsched.samples.payloads import corporate_actions, events_page
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource

TOKEN = "s3cr3t-token-value-1234"


class TestCorporateActions(AdapterContract):
    adapter = "corporate_actions"
    fault_path = "/corporate-actions/"
    malformed_error = "column 'isin' row 2: required value is empty"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {"url": src.url + "/corporate-actions/v1/events", "page_size": 10, "backoff_seconds": 0.01}

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        page = events_page(self.business_date, None, 5) | {"next_cursor": None}
        page["data"][1]["isin"] = None
        src.override("/corporate-actions/v1/events", json.dumps(page))

    def test_all_pages_are_read_through_429_retry_after(self, src, warehouse, jobsched_env) -> None:
        src.rate_limit("/corporate-actions/", per_second=4, burst=2, retry_after=1)
        report = self.run(self.params(src, jobsched_env), warehouse, self.job_key())
        events = corporate_actions(self.business_date)
        assert report.rows_loaded == len(events) and report.extra["pages"] == 4
        assert src.hits("/corporate-actions/") > 4  # some requests were answered 429 and retried

    def test_a_page_that_is_not_json_is_rejected(self, src, warehouse, jobsched_env) -> None:
        src.override("/corporate-actions/v1/events", '{"data": [ {"id": "CA-1",')
        with pytest.raises(BatchRejected, match="page 1 is not valid JSON"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_a_cursor_loop_is_rejected(self, src, warehouse, jobsched_env) -> None:
        page = events_page(self.business_date, None, 3) | {"next_cursor": "same"}
        src.override("/corporate-actions/v1/events", json.dumps(page))
        with pytest.raises(BatchRejected, match=r"next_cursor 'same' repeats \(pagination loop\)"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_dividend_without_amount_is_rejected(self, src, warehouse, jobsched_env) -> None:
        page = events_page(self.business_date, None, 50) | {"next_cursor": None}
        first = next(i for i, e in enumerate(page["data"]) if e["type"] == "DIVIDEND")
        page["data"][first]["amount"] = None
        src.override("/corporate-actions/v1/events", json.dumps(page))
        with pytest.raises(
            BatchRejected, match=rf"column 'amount' row {first + 1}: .* is required for a DIVIDEND"
        ):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory):
    server = SampleSource(tmp_path_factory.mktemp("secured-root"), token=TOKEN)
    yield server
    server.close()


def test_token_comes_from_env_and_is_never_logged(secured, defs, instance, jobsched_env, monkeypatch) -> None:
    params = {"url": secured.url + "/corporate-actions/v1/events", "token_env": "CA_TOKEN", "retries": 0}
    config = run_config("corporate_actions", "ca_secured", AdapterContract.business_date, params)
    job = defs.resolve_job_def("corporate_actions")

    denied = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
    assert not denied.success
    assert (
        "HTTP 401 Unauthorized; check $CA_TOKEN"
        in denied.failure_data_for_node(op_name("corporate_actions")).error.message
    )
    events = [e.dagster_event.event_type for e in instance.all_logs(denied.run_id) if e.dagster_event]
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in events  # a 401 is not retried

    monkeypatch.setenv("CA_TOKEN", TOKEN)
    allowed = job.execute_in_process(run_config=config, instance=instance)
    assert allowed.success
    logs = [str(e) for run in (denied, allowed) for e in instance.all_logs(run.run_id)]
    assert any("bearer token from $CA_TOKEN (set)" in line for line in logs)
    assert not any(TOKEN in line for line in logs)


def test_an_unreachable_api_is_a_retryable_source_error(warehouse, jobsched_env) -> None:
    from jobsched_tests.adapters.sample_source import free_port

    contract = TestCorporateActions()
    params = {"url": f"http://127.0.0.1:{free_port()}/events", "retries": 1, "backoff_seconds": 0.01}
    with pytest.raises(SourceError, match="connection failed, 2 attempt") as caught:
        contract.run(params, warehouse, "ca_unreachable")
    assert caught.value.retryable
