"""The engine sensor (rows -> claimed fires -> RunRequests) and the run-outcome sensors (runs -> ledger)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)

from jobsched.defs.jobs import run_config
from jobsched.domain.model import FireStatus
from jobsched.engine import DEFAULT_LEASE, FireRequest, TickResult, tick
from jobsched.store import ledger
from jobsched.store.db import engine_for
from jobsched.store.rows import utc_now

ACTIVE_STATUSES = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def lookahead() -> timedelta:
    """How far ahead a tick waits for the next fire instead of leaving it to a later tick.

    The sensor daemon starts a tick at most every 5 s, so a fire due between ticks would wait up to 5 s.
    Instead a tick that sees a fire due within this window sleeps until the due instant and requests it
    then. Fire instants are whole minutes, so one tick never needs to wait for two distinct instants.
    """
    return timedelta(seconds=float(os.environ.get("JOBSCHED_LOOKAHEAD_SECONDS", "9")))


def claim_lease() -> timedelta:
    seconds = os.environ.get("JOBSCHED_CLAIM_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else DEFAULT_LEASE


class InstanceRunLookup:
    def __init__(self, instance) -> None:  # type: ignore[no-untyped-def]
        self._instance = instance

    def run_id_for_key(self, run_key: str) -> str | None:
        runs = self._instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}), limit=1)
        return runs[0].run_id if runs else None

    def has_active_run(self, job_key: str) -> bool:
        runs_filter = RunsFilter(tags={"jobsched/job": job_key}, statuses=ACTIVE_STATUSES)
        return bool(self._instance.get_runs(runs_filter, limit=1))


def run_request(request: FireRequest) -> RunRequest:
    return RunRequest(
        run_key=request.run_key,
        job_name=request.job.adapter,
        run_config=run_config(
            request.job.adapter, request.job.job_key, request.business_date, request.job.params
        ),
        tags=request.tags(),
    )


def build_engine_sensor(jobs: list):  # type: ignore[no-untyped-def]
    @sensor(
        name="jobsched_engine",
        jobs=jobs,
        minimum_interval_seconds=1,
        default_status=DefaultSensorStatus.RUNNING,
        description="Turns schedule rows + calendars into exactly one run per due fire; records every skip.",
    )
    def jobsched_engine(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        engine = engine_for()
        runs = InstanceRunLookup(context.instance)
        result = tick(engine, utc_now(), runs, claim_lease())
        _log_errors(context, result)
        texts = [result.text()]
        if not result.requests and _due_soon(result.next_run_at):
            time.sleep(max(0.0, (result.next_run_at - utc_now()).total_seconds()))  # type: ignore[operator]
            result = tick(engine, max(utc_now(), result.next_run_at), runs, claim_lease())  # type: ignore[type-var]
            _log_errors(context, result)
            texts.append(result.text())
        story = "; ".join(t for t in texts if t)
        if not result.requests:
            return SkipReason(_bounded(f"{story or 'nothing due'}; next fire {_fmt(result.next_run_at)}"))
        context.log.info(_bounded(story))
        return SensorResult(run_requests=[run_request(r) for r in result.requests])

    return jobsched_engine


def _due_soon(next_run_at: datetime | None) -> bool:
    return next_run_at is not None and next_run_at - utc_now() <= lookahead()


def _log_errors(context: SensorEvaluationContext, result: TickResult) -> None:
    """A quarantined row is logged when it becomes invalid and when it is fixed, not on every tick."""
    for name, error in result.quarantined.items():
        context.log.warning(f"schedule {name!r} quarantined: {error}")
    for name in result.recovered:
        context.log.info(f"schedule {name!r} is valid again")


def _bounded(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 20] + " ... (truncated)"


def _fmt(value: datetime | None) -> str:
    return value.isoformat() if value else "none planned"


def _outcome_sensor(status: DagsterRunStatus, fire_status: FireStatus):  # type: ignore[no-untyped-def]
    @run_status_sensor(
        run_status=status,
        name=f"jobsched_outcome_{fire_status.value}",
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Writes '{fire_status.value}' and the run id back to the fire ledger.",
    )
    def _sensor(context: RunStatusSensorContext) -> None:
        tags = context.dagster_run.tags
        if "jobsched/schedule" not in tags or "jobsched/fire_time" not in tags:
            return
        fire_at = datetime.fromisoformat(tags["jobsched/fire_time"])
        ledger.record_outcome(
            engine_for(), int(tags["jobsched/schedule"]), fire_at, context.dagster_run.run_id, fire_status
        )

    return _sensor


def build_sensors(jobs: list) -> list:  # type: ignore[no-untyped-def]
    return [
        build_engine_sensor(jobs),
        _outcome_sensor(DagsterRunStatus.SUCCESS, FireStatus.SUCCESS),
        _outcome_sensor(DagsterRunStatus.FAILURE, FireStatus.FAILURE),
        _outcome_sensor(DagsterRunStatus.CANCELED, FireStatus.CANCELED),
    ]
