"""The tests every adapter passes. An adapter's test module subclasses AdapterContract (see
template_test_adapter.py) and says how to build params and how to deliver good and malformed data."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsched.adapters import SourceError, get_adapter, validate_params
from jobsched.adapters.base import RunContext
from jobsched.adapters.runner import RunReport, run_adapter
from jobsched.defs.jobs import op_name, run_config
from jobsched_tests.adapters.sample_source import SampleSource

BUSINESS_DATE = date(2026, 11, 20)  # a Friday
FAST_HTTP = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 10}


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str) -> None:
        self.lines.append(msg)

    warning = info


class Boom(RuntimeError):
    """Raised from inside the load transaction to simulate a crash half-way."""


class AdapterContract:
    adapter: ClassVar[str]
    #: request-path prefix of the adapter's source on the sample server (None: not an HTTP adapter)
    fault_path: ClassVar[str | None] = None
    #: a fragment the malformed-payload rejection must contain (names the field and value)
    malformed_error: ClassVar[str]
    business_date: ClassVar[date] = BUSINESS_DATE

    # ---- hooks an adapter's test module fills in ---------------------------------------------------
    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        raise NotImplementedError

    def deliver(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        """Put good source data in place (drop folders); HTTP sources generate it themselves."""

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- helpers ----------------------------------------------------------------------------------
    def job_key(self) -> str:
        return f"{self.adapter}_{uuid.uuid4().hex[:8]}"

    def run(
        self, params: dict[str, Any], warehouse: sa.Engine, job_key: str, run_id: str = "", **ctx: Any
    ) -> RunReport:
        run_id = run_id or f"run-{uuid.uuid4().hex[:8]}"
        context = RunContext(job_key, self.business_date, run_id, warehouse, Log(), **ctx)
        return run_adapter(get_adapter(self.adapter), context, validate_params(self.adapter, params))

    def launch(
        self, defs: dg.Definitions, instance: dg.DagsterInstance, job_key: str, params: dict[str, Any]
    ):
        job = defs.resolve_job_def(self.adapter)
        config = run_config(self.adapter, job_key, self.business_date, params)
        return job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)

    def slice_runs(self, warehouse: sa.Engine, job_key: str) -> list[str]:
        """run_id of every row in the slice (one entry per row)."""
        table = get_adapter(self.adapter).table  # type: ignore[attr-defined]
        query = sa.select(table.c.run_id).where(
            table.c.job_key == job_key, table.c.business_date == self.business_date
        )
        try:
            with warehouse.connect() as conn:
                return list(conn.execute(query).scalars())
        except sa.exc.OperationalError:
            return []  # table not created yet: nothing loaded
        except sa.exc.ProgrammingError:
            return []

    @staticmethod
    def step_events(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterEventType]:
        return [e.dagster_event.event_type for e in instance.all_logs(run_id) if e.dagster_event]

    # ---- the contract -----------------------------------------------------------------------------
    def test_happy_path(self, src, any_warehouse, defs, instance, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        self.deliver(src, jobsched_env, params)
        result = self.launch(defs, instance, job_key, params)
        assert result.success
        materializations = result.asset_materializations_for_node(op_name(self.adapter))
        metadata = {k: v.value for k, v in materializations[0].metadata.items()}
        assert metadata["business_date"] == self.business_date.isoformat()
        assert metadata["rows_read"] >= metadata["rows_loaded"] > 0
        assert metadata["source"]
        assert self.slice_runs(any_warehouse, job_key) == [result.run_id] * metadata["rows_loaded"]

    def test_source_error_then_recovery_is_retried(
        self, src, defs, instance, warehouse, jobsched_env
    ) -> None:
        """The source answers 503 three times: urllib3 retries once per attempt, Dagster retries the op."""
        if self.fault_path is None:
            pytest.skip("not an HTTP source; see the adapter's own recovery test")
        params, job_key = self.params(src, jobsched_env) | FAST_HTTP, self.job_key()
        self.deliver(src, jobsched_env, params)
        src.fault(self.fault_path, status=503, count=3)
        result = self.launch(defs, instance, job_key, params)
        assert result.success
        assert self.step_events(instance, result.run_id).count(dg.DagsterEventType.STEP_UP_FOR_RETRY) == 1
        assert src.hits(self.fault_path) >= 4
        assert len(self.slice_runs(warehouse, job_key)) > 0

    def test_timeout(self, src, warehouse, jobsched_env) -> None:
        if self.fault_path is None:
            pytest.skip("not an HTTP source")
        params = self.params(src, jobsched_env) | FAST_HTTP | {"timeout_seconds": 0.3}
        self.deliver(src, jobsched_env, params)
        src.fault(self.fault_path, delay=1.5, count=-1)
        job_key = self.job_key()
        with pytest.raises(SourceError, match=r"timed out: no response within 0.3s") as caught:
            self.run(params, warehouse, job_key)
        assert caught.value.retryable
        assert src.hits(self.fault_path) == 2  # the first try and one urllib3 retry
        assert self.slice_runs(warehouse, job_key) == []

    def test_malformed_payload_rejects_the_whole_batch(
        self, src, defs, instance, warehouse, jobsched_env
    ) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        self.deliver(src, jobsched_env, params)
        good = self.run(params, warehouse, job_key)
        before = self.slice_runs(warehouse, job_key)
        self.deliver_malformed(src, jobsched_env, params)
        result = self.launch(defs, instance, job_key, params)
        assert not result.success
        message = result.failure_data_for_node(op_name(self.adapter)).error.message  # type: ignore[union-attr]
        assert "rejected, nothing loaded" in message and self.malformed_error in message
        assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in self.step_events(instance, result.run_id)
        assert self.slice_runs(warehouse, job_key) == before and len(before) == good.rows_loaded

    def test_rerun_same_business_date_replaces_the_slice(self, src, any_warehouse, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        self.deliver(src, jobsched_env, params)
        first = self.run(params, any_warehouse, job_key, run_id="first")
        self.deliver(src, jobsched_env, params)  # a duplicate delivery, for drop folders
        second = self.run(params, any_warehouse, job_key, run_id="second")
        runs = self.slice_runs(any_warehouse, job_key)
        assert first.rows_loaded == second.rows_loaded == len(runs) > 0
        assert set(runs) == {"second"}

    def test_failure_mid_load_keeps_the_previous_slice(self, src, any_warehouse, jobsched_env) -> None:
        params, job_key = self.params(src, jobsched_env), self.job_key()
        self.deliver(src, jobsched_env, params)
        first = self.run(params, any_warehouse, job_key)
        before = self.slice_runs(any_warehouse, job_key)
        written: list[int] = []

        def crash(rows: int) -> None:
            written.append(rows)
            raise Boom(f"crash after {rows} rows")

        self.deliver(src, jobsched_env, params)
        with pytest.raises(Boom):
            self.run(
                params, any_warehouse, job_key, chunk_rows=max(1, first.rows_loaded // 3), on_chunk=crash
            )
        assert written and written[0] < first.rows_loaded  # it really was half-way
        assert self.slice_runs(any_warehouse, job_key) == before
