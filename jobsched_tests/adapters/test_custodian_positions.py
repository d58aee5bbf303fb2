"""custodian_positions over a real SFTP server (asyncssh): password and key login, `.part` files ignored,
connection failures and hung servers retried with backoff, late deliveries picked up by the step retry."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from jobsched.adapters import SourceError
from jobsched.samples.feeds import custodian_positions_csv
from jobsched_tests.adapters.conftest import build_defs
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.late_delivery import deliver_after_first_retry
from jobsched_tests.adapters.sample_source import SampleSource, free_port
from jobsched_tests.adapters.servers import SFTP_PASSWORD, SFTP_USER

ACCOUNT = "C-100234"
FAST = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 10}


class TestCustodianPositions(AdapterContract):
    adapter = "custodian_positions"
    malformed_error = "column 'Quantity' row 5: value '1,2OO' is not a valid number"

    @pytest.fixture(autouse=True)
    def _sftp(self, sftp_server, monkeypatch) -> None:
        self.server = sftp_server
        self.folder = f"t{uuid.uuid4().hex[:8]}"
        (sftp_server.root / self.folder).mkdir()
        monkeypatch.setenv("TEST_SFTP_PASSWORD", SFTP_PASSWORD)

    def connection(self, **overrides: Any) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.server.port,
            "username": SFTP_USER,
            "password_env": "TEST_SFTP_PASSWORD",
            "known_hosts": str(self.server.known_hosts),
            "remote_dir": f"/{self.folder}",
            **FAST,
            **overrides,
        }

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {"account": ACCOUNT, "sftp": self.connection()}

    def remote(self, name: str | None = None) -> Path:
        return (
            self.server.root / self.folder / (name or f"positions_{ACCOUNT}_{self.business_date:%Y%m%d}.csv")
        )

    def deliver(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        self.remote().write_text(custodian_positions_csv(ACCOUNT, self.business_date))

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        lines = custodian_positions_csv(ACCOUNT, self.business_date).splitlines()
        fields = lines[5].split(",")
        fields[4] = '"1,2OO"'
        lines[5] = ",".join(fields)
        self.remote().write_text("\n".join(lines) + "\n")

    # ---- the contract's fault and timeout tests, with SFTP faults instead of HTTP statuses -------------
    def via_proxy(self, proxy, tmp: Path, **overrides: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        known = tmp / "known_hosts_proxy"
        known.write_text(
            self.server.known_hosts.read_text().replace(f":{self.server.port} ", f":{proxy.port} ")
        )
        return {
            "account": ACCOUNT,
            "sftp": self.connection(port=proxy.port, known_hosts=str(known), **overrides),
        }

    def test_source_error_then_recovery_is_retried(  # type: ignore[override]
        self, defs, instance, warehouse, jobsched_env, sftp_proxy
    ) -> None:
        """The server drops 3 connections: the adapter retries once per attempt, Dagster retries the step."""
        params, job_key = self.via_proxy(sftp_proxy, jobsched_env), self.job_key()
        self.deliver(None, jobsched_env, params)  # type: ignore[arg-type]
        sftp_proxy.drop_next = 3
        result = self.launch(defs, instance, job_key, params)
        assert result.success
        assert self.step_events(instance, result.run_id).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
        assert sftp_proxy.dropped == 3 and sftp_proxy.accepted == 4
        assert len(self.slice_runs(warehouse, job_key)) == 40

    def test_timeout(self, warehouse, jobsched_env, sftp_proxy) -> None:  # type: ignore[override]
        sftp_proxy.hang = True
        params = self.via_proxy(sftp_proxy, jobsched_env, timeout_seconds=0.5)
        self.deliver(None, jobsched_env, params)  # type: ignore[arg-type]
        job_key = self.job_key()
        with pytest.raises(
            SourceError, match=r"timed out: no complete answer within 0.5s, 2 attempt"
        ) as caught:
            self.run(params, warehouse, job_key)
        assert caught.value.retryable and sftp_proxy.accepted == 2
        assert self.slice_runs(warehouse, job_key) == []

    def test_key_authentication(self, warehouse, jobsched_env) -> None:
        self.deliver(None, jobsched_env, {})  # type: ignore[arg-type]
        sftp = self.connection(password_env=None, key_file=str(self.server.key_file))
        report = self.run({"account": ACCOUNT, "sftp": sftp}, warehouse, self.job_key())
        assert report.rows_loaded == 40 and report.source.startswith("sftp://custody@127.0.0.1:")

    def test_wrong_password_is_not_retried_and_names_the_variable_not_the_value(
        self, warehouse, jobsched_env, monkeypatch
    ) -> None:
        monkeypatch.setenv("TEST_SFTP_PASSWORD", "not-the-password")
        self.deliver(None, jobsched_env, {})  # type: ignore[arg-type]
        with pytest.raises(SourceError, match=r"authentication failed for user 'custody'") as caught:
            self.run(self.params(None, jobsched_env), warehouse, self.job_key())  # type: ignore[arg-type]
        assert not caught.value.retryable and "not-the-password" not in str(caught.value)
        assert "$TEST_SFTP_PASSWORD" in str(caught.value)

    def test_credentials_never_in_params(self) -> None:
        from jobsched.adapters import InvalidParams, validate_params

        with pytest.raises(InvalidParams, match=r"sftp.password.*unknown parameter"):
            validate_params(self.adapter, {"account": ACCOUNT, "sftp": self.connection(password="x")})
        with pytest.raises(InvalidParams, match="name a credential"):
            validate_params(self.adapter, {"account": ACCOUNT, "sftp": self.connection(password_env=None)})

    def test_a_part_file_is_ignored_until_renamed(self, warehouse, jobsched_env) -> None:
        part = self.remote().with_name(self.remote().name + ".part")
        part.write_text(custodian_positions_csv(ACCOUNT, self.business_date)[:500])
        job_key = self.job_key()
        with pytest.raises(
            SourceError, match=r"no file matching 'positions_C-100234_20261120.csv'"
        ) as caught:
            self.run(self.params(None, jobsched_env), warehouse, job_key)  # type: ignore[arg-type]
        assert caught.value.retryable and self.slice_runs(warehouse, job_key) == []
        part.write_text(custodian_positions_csv(ACCOUNT, self.business_date))
        part.rename(self.remote())
        assert self.run(self.params(None, jobsched_env), warehouse, job_key).rows_loaded == 40  # type: ignore[arg-type]

    def test_server_down_is_retried_with_backoff_then_a_retryable_error(
        self, warehouse, jobsched_env
    ) -> None:
        params = {"account": ACCOUNT, "sftp": self.connection(port=free_port())}
        with pytest.raises(SourceError, match=r"connection failed: .*Refused.*, 2 attempt\(s\)") as caught:
            self.run(params, warehouse, self.job_key())
        assert caught.value.retryable

    def test_late_file_is_loaded_by_the_step_retry(
        self, instance, warehouse, jobsched_env, monkeypatch
    ) -> None:
        monkeypatch.setenv("JOBSCHED_ADAPTER_RETRY_DELAY", "0.5")
        defs = build_defs()
        params, job_key = self.params(None, jobsched_env), self.job_key()  # type: ignore[arg-type]
        watcher = deliver_after_first_retry(instance, lambda: self.deliver(None, jobsched_env, params))  # type: ignore[arg-type]
        result = self.launch(defs, instance, job_key, params)
        watcher.join(timeout=10)
        assert result.success
        assert self.step_events(instance, result.run_id).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
        assert len(self.slice_runs(warehouse, job_key)) == 40
