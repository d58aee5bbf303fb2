"""What every drop-folder adapter passes on top of the contract: partial (`.part`) files ignored, a file cut
short rejected with nothing loaded and left in the inbox, archive after the load, re-runs from the archive,
a late delivery picked up by the step retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import pytest

from jobsched.adapters import BatchRejected, SourceError
from jobsched.adapters.sources.folder import archive_dir_for
from jobsched_tests.adapters.conftest import build_defs
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.late_delivery import deliver_after_first_retry


class DropFolderContract(AdapterContract):
    #: a fragment of the rejection of a file cut short in the middle
    truncated_error: ClassVar[str]
    rows: ClassVar[int]

    def file_name(self) -> str:
        raise NotImplementedError

    def content(self) -> bytes:
        raise NotImplementedError

    def params(self, src, data_dir: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        inbox = data_dir / "inbox"
        inbox.mkdir(exist_ok=True)
        return {"inbox": str(inbox), "archive": str(data_dir / "archive")} | self.extra_params()

    def extra_params(self) -> dict[str, Any]:
        return {}

    def inbox_file(self, params: dict[str, Any]) -> Path:
        return Path(params["inbox"]) / self.file_name()

    def deliver(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        self.inbox_file(params).write_bytes(self.content())

    def test_partial_file_is_ignored_then_loaded_once_complete(self, warehouse, jobsched_env) -> None:
        params, job_key = self.params(None, jobsched_env), self.job_key()
        part = self.inbox_file(params).with_name(self.file_name() + ".part")
        part.write_bytes(self.content()[: len(self.content()) // 2])
        with pytest.raises(SourceError, match=r"no file matching") as caught:
            self.run(params, warehouse, job_key)
        assert caught.value.retryable and self.slice_runs(warehouse, job_key) == []
        part.write_bytes(self.content())
        part.rename(self.inbox_file(params))
        assert self.run(params, warehouse, job_key).rows_loaded == self.rows

    def test_a_file_cut_short_is_rejected_and_stays_in_the_inbox(self, warehouse, jobsched_env) -> None:
        params, job_key = self.params(None, jobsched_env), self.job_key()
        data = self.content()
        self.inbox_file(params).write_bytes(data[: int(len(data) * 0.6)])
        with pytest.raises(BatchRejected, match=self.truncated_error) as caught:
            self.run(params, warehouse, job_key)
        assert "nothing loaded" in str(caught.value) and not caught.value.retryable
        assert self.slice_runs(warehouse, job_key) == [] and self.inbox_file(params).exists()

    def test_archived_after_load_and_a_rerun_reads_the_archive(self, warehouse, jobsched_env) -> None:
        params, job_key = self.params(None, jobsched_env), self.job_key()
        self.deliver(None, jobsched_env, params)
        first = self.run(params, warehouse, job_key, run_id="first")
        archived = archive_dir_for(Path(params["archive"]), self.business_date) / self.file_name()
        assert not self.inbox_file(params).exists() and archived.exists()
        assert first.extra["archived_to"] == str(archived)
        again = self.run(params, warehouse, job_key, run_id="again")
        assert again.extra["from_archive"] == 1 and set(self.slice_runs(warehouse, job_key)) == {"again"}
        assert again.rows_loaded == first.rows_loaded == self.rows

    def test_late_file_is_loaded_by_the_step_retry(
        self, instance, warehouse, jobsched_env, monkeypatch
    ) -> None:
        monkeypatch.setenv("JOBSCHED_ADAPTER_RETRY_DELAY", "0.5")
        defs = build_defs()
        params, job_key = self.params(None, jobsched_env), self.job_key()
        watcher = deliver_after_first_retry(instance, lambda: self.deliver(None, jobsched_env, params))
        result = self.launch(defs, instance, job_key, params)
        watcher.join(timeout=10)
        assert result.success
        assert self.step_events(instance, result.run_id).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
        assert len(self.slice_runs(warehouse, job_key)) == self.rows
