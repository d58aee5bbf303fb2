"""index_constituents from a real S3-compatible server (moto's standalone server), gzip CSV objects."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from jobsched.adapters import BatchRejected, SourceError
from jobsched.samples.feeds import index_constituents_csv_gz
from jobsched.samples.object_store import constituents_key
from jobsched_tests.adapters.conftest import build_defs
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.late_delivery import deliver_after_first_retry
from jobsched_tests.adapters.sample_source import free_port
from jobsched_tests.adapters.servers import S3_ACCESS_KEY, S3_SECRET_KEY

INDEX = "NIFTY50"
FAST = {"retries": 1, "timeout_seconds": 10, "connect_timeout_seconds": 2}


class TestIndexConstituents(AdapterContract):
    adapter = "index_constituents"
    malformed_error = "column 'weight_pct' row 2: value 'abc' is not a valid number >= 0"

    @pytest.fixture(autouse=True)
    def _bucket(self, s3_server, monkeypatch) -> None:
        monkeypatch.setenv("TEST_S3_KEY", S3_ACCESS_KEY)
        monkeypatch.setenv("TEST_S3_SECRET", S3_SECRET_KEY)
        self.s3 = s3_server.client()
        self.endpoint = s3_server.url
        self.bucket = f"idx-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def params(self, src, data_dir: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {
            "endpoint_url": self.endpoint,
            "bucket": self.bucket,
            "access_key_env": "TEST_S3_KEY",
            "secret_key_env": "TEST_S3_SECRET",
            "index": INDEX,
            **FAST,
        }

    def put(self, body: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=constituents_key(INDEX, self.business_date), Body=body)

    def csv_lines(self) -> list[str]:
        return gzip.decompress(index_constituents_csv_gz(INDEX, self.business_date)).decode().splitlines()

    def deliver(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        self.put(index_constituents_csv_gz(INDEX, self.business_date))

    def deliver_malformed(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        lines = self.csv_lines()
        lines[2] = lines[2].rsplit(",", 1)[0] + ",abc"
        self.put(gzip.compress(("\n".join(lines) + "\n").encode()))

    # ---- the contract's fault and timeout tests, with S3 connection faults instead of HTTP statuses -------
    def test_source_error_then_recovery_is_retried(  # type: ignore[override]
        self, defs, instance, warehouse, jobsched_env, s3_proxy
    ) -> None:
        """The endpoint resets 3 connections: botocore retries once per attempt, Dagster retries the step."""
        params = self.params(None, jobsched_env) | {"endpoint_url": f"http://127.0.0.1:{s3_proxy.port}"}
        job_key = self.job_key()
        self.deliver(None, jobsched_env, params)
        s3_proxy.drop_next = 3
        result = self.launch(defs, instance, job_key, params)
        assert result.success
        assert self.step_events(instance, result.run_id).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
        assert s3_proxy.dropped == 3 and s3_proxy.accepted == 4
        assert len(self.slice_runs(warehouse, job_key)) == 50

    def test_timeout(self, warehouse, jobsched_env, s3_proxy) -> None:  # type: ignore[override]
        s3_proxy.hang = True
        params = self.params(None, jobsched_env) | {
            "endpoint_url": f"http://127.0.0.1:{s3_proxy.port}",
            "timeout_seconds": 0.3,
        }
        job_key = self.job_key()
        with pytest.raises(
            SourceError, match=r"timed out: no response within 0.3s, 2 attempt\(s\)"
        ) as caught:
            self.run(params, warehouse, job_key)
        assert caught.value.retryable and s3_proxy.accepted == 2
        assert self.slice_runs(warehouse, job_key) == []

    def test_a_truncated_object_is_rejected(self, warehouse, jobsched_env) -> None:
        data = index_constituents_csv_gz(INDEX, self.business_date)
        self.put(data[: len(data) // 2])
        with pytest.raises(BatchRejected, match=r"not a valid gzip object \(truncated upload\?\)"):
            self.run(self.params(None, jobsched_env), warehouse, self.job_key())

    def test_a_partial_list_is_rejected_by_the_weights(self, warehouse, jobsched_env) -> None:
        self.put(gzip.compress(("\n".join(self.csv_lines()[:31]) + "\n").encode()))
        with pytest.raises(BatchRejected, match=r"weights of 30 constituents add up to [0-9.]+%, not 100%"):
            self.run(self.params(None, jobsched_env), warehouse, self.job_key())

    def test_credentials_from_a_file(self, warehouse, jobsched_env, tmp_path) -> None:
        creds = tmp_path / "credentials"
        creds.write_text(
            f"[feeds]\naws_access_key_id = {S3_ACCESS_KEY}\naws_secret_access_key = {S3_SECRET_KEY}\n"
        )
        params = self.params(None, jobsched_env) | {
            "access_key_env": None,
            "secret_key_env": None,
            "credentials_file": str(creds),
            "profile": "feeds",
        }
        self.deliver(None, jobsched_env, params)
        assert self.run(params, warehouse, self.job_key()).rows_loaded == 50

    def test_an_unset_credential_variable_is_named_and_not_retried(
        self, warehouse, jobsched_env, monkeypatch
    ):
        monkeypatch.delenv("TEST_S3_SECRET")
        with pytest.raises(SourceError, match=r"environment variable \$TEST_S3_SECRET is not set") as caught:
            self.run(self.params(None, jobsched_env), warehouse, self.job_key())
        assert not caught.value.retryable

    def test_server_down_is_a_retryable_connection_error(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env) | {"endpoint_url": f"http://127.0.0.1:{free_port()}"}
        with pytest.raises(SourceError, match=r"connection failed, 2 attempt\(s\)") as caught:
            self.run(params, warehouse, self.job_key())
        assert caught.value.retryable

    def test_object_not_there_yet_is_loaded_by_the_step_retry(
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
        assert len(self.slice_runs(warehouse, job_key)) == 50
