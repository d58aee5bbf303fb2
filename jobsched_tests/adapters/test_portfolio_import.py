"""portfolio_import from a real drop folder: pick-up by pattern, archive after load, re-deliveries."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from jobsched.adapters import SourceError
from jobsched.adapters.sources.folder import archive_dir_for
from jobsched.samples.payloads import holdings_csv
from jobsched_tests.adapters.conftest import build_defs
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource

ACCOUNT = "U1234567"


class TestPortfolioImport(AdapterContract):
    adapter = "portfolio_import"
    fault_path = None  # a drop folder: no HTTP faults; the folder-specific tests below replace them
    malformed_error = "column 'Quantity' row 4: value '12O' is not a valid number"

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        inbox = data_dir / "inbox"
        inbox.mkdir(exist_ok=True)
        return {
            "account": ACCOUNT,
            "broker": "IBKR",
            "inbox": str(inbox),
            "archive": str(data_dir / "archive"),
        }

    def file_name(self, account: str = ACCOUNT) -> str:
        return f"holdings_{account}_{self.business_date:%Y%m%d}.csv"

    def deliver(
        self, src: SampleSource, data_dir: Path, params: dict[str, Any], account: str = ACCOUNT
    ) -> Path:
        path = Path(params["inbox"]) / self.file_name(account)
        path.write_text(holdings_csv(account, self.business_date))
        return path

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        lines = holdings_csv(ACCOUNT, self.business_date).splitlines()
        fields = lines[4].split(",")
        fields[4] = "12O"  # a letter O where a digit belongs
        lines[4] = ",".join(fields)
        (Path(params["inbox"]) / self.file_name()).write_text("\n".join(lines) + "\n")

    def archived(self, params: dict[str, Any]) -> list[str]:
        folder = archive_dir_for(Path(params["archive"]), self.business_date)
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def test_the_file_is_archived_after_a_committed_load(self, src, warehouse, jobsched_env) -> None:
        params = self.params(src, jobsched_env)
        delivered = self.deliver(src, jobsched_env, params)
        report = self.run(params, warehouse, self.job_key())
        assert report.rows_loaded == 35 and not delivered.exists()
        assert self.archived(params) == [self.file_name()]
        assert report.extra["archived_to"].endswith(f"2026/11/20/{self.file_name()}")

    def test_missing_file_is_retryable_then_loads_when_delivered(self, src, warehouse, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        partial = Path(params["inbox"]) / (self.file_name() + ".part")
        partial.write_text(holdings_csv(ACCOUNT, self.business_date)[:200])  # still being written
        with pytest.raises(SourceError, match=r"no file matching 'holdings_U1234567_20261120.csv'") as caught:
            self.run(params, warehouse, job_key)
        assert caught.value.retryable and self.slice_runs(warehouse, job_key) == []
        partial.unlink()
        self.deliver(src, jobsched_env, params)
        assert self.run(params, warehouse, job_key).rows_loaded == 35

    def test_dagster_retries_until_the_file_arrives(
        self, src, instance, warehouse, jobsched_env, monkeypatch
    ):
        """The op's RetryPolicy covers a late delivery: attempt 1 finds nothing, a later attempt loads."""
        monkeypatch.setenv("JOBSCHED_ADAPTER_RETRY_DELAY", "0.5")  # attempt 2 starts 0.5..1.5 s later
        slow_defs = build_defs()
        params, job_key = self.params(src, jobsched_env), self.job_key()
        deliver_on_retry = threading.Thread(target=self._deliver_after_first_retry, args=(instance, params))
        deliver_on_retry.start()
        result = self.launch(slow_defs, instance, job_key, params)
        deliver_on_retry.join(timeout=10)
        assert result.success
        assert self.step_events(instance, result.run_id).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
        assert len(self.slice_runs(warehouse, job_key)) == 35

    def _deliver_after_first_retry(self, instance: dg.DagsterInstance, params: dict[str, Any]) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for run in instance.get_runs():
                if dg.DagsterEventType.STEP_UP_FOR_RETRY in self.step_events(instance, run.run_id):
                    self.deliver(None, Path(), params)  # type: ignore[arg-type]
                    return
            time.sleep(0.02)

    def test_rerun_after_archive_reloads_the_archived_copy(self, src, warehouse, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        self.deliver(src, jobsched_env, params)
        self.run(params, warehouse, job_key, run_id="first")
        report = self.run(params, warehouse, job_key, run_id="rerun")
        assert report.extra["from_archive"] == 1
        assert set(self.slice_runs(warehouse, job_key)) == {"rerun"} and report.rows_loaded == 35
        assert self.archived(params) == [self.file_name()]

    def test_duplicate_delivery_keeps_both_copies_and_one_slice(self, src, warehouse, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        for run_id in ("aaaaaaaa-1", "bbbbbbbb-2"):
            self.deliver(src, jobsched_env, params)
            self.run(params, warehouse, job_key, run_id=run_id)
        assert len(self.slice_runs(warehouse, job_key)) == 35
        assert self.archived(params) == [self.file_name(), self.file_name() + ".bbbbbbbb"]

    def test_two_accounts_share_the_adapter_without_touching_each_other(self, src, warehouse, jobsched_env):
        params = self.params(src, jobsched_env)
        other = params | {"account": "ZX9876", "broker": "ZERODHA"}
        self.deliver(src, jobsched_env, params)
        self.deliver(src, jobsched_env, other, account="ZX9876")
        self.run(params, warehouse, "portfolio_u1")
        self.run(other, warehouse, "portfolio_zx")
        self.deliver(src, jobsched_env, params)
        self.run(params, warehouse, "portfolio_u1")  # re-load one account
        assert (
            len(self.slice_runs(warehouse, "portfolio_u1"))
            == len(self.slice_runs(warehouse, "portfolio_zx"))
            == 35
        )

    def test_a_failed_load_leaves_the_file_in_the_inbox(self, src, warehouse, jobsched_env) -> None:
        params = self.params(src, jobsched_env)
        self.deliver_malformed(src, jobsched_env, params)
        with pytest.raises(Exception, match="rejected, nothing loaded"):
            self.run(params, warehouse, self.job_key())
        assert (Path(params["inbox"]) / self.file_name()).exists() and self.archived(params) == []
