"""The engine sensor (rows -> claimed fires -> RunRequests) and the run-outcome sensors (runs -> ledger)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)
from sqlalchemy import Engine

from jobsched import settings
from jobsched.adapters.errors import AdapterConfigError
from jobsched.defs import partitions
from jobsched.defs.jobs import run_config
from jobsched.defs.resources import JobschedDatabase  # resolved at runtime: Dagster reads the annotation
from jobsched.domain import model as domain
from jobsched.domain.model import FireStatus
from jobsched.engine import DEFAULT_LEASE, FireRequest, TickResult, tick
from jobsched.outage import OUTAGE
from jobsched.store import ledger
from jobsched.store.transient import is_transient
from jobsched.tags import TAG_FIRE_TIME, TAG_JOB, TAG_SCHEDULE
from jobsched.utc import utc_now

OUTCOMES = {
    DagsterRunStatus.SUCCESS: FireStatus.SUCCESS,
    DagsterRunStatus.FAILURE: FireStatus.FAILURE,
    DagsterRunStatus.CANCELED: FireStatus.CANCELED,
}
MAX_RUNTIME_TAG = "dagster/max_runtime"  # run monitoring ends a run still going after this many seconds

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
    return timedelta(seconds=settings.current().lookahead_seconds)


CONTINUE = "continue"  # the sensor's cursor after a tick that left due rows of a burst to the next one


def tick_budget() -> float | None:
    """Seconds after which a tick with requests leaves the rest of a burst to the next tick, so that the
    daemon creates the first runs while the rest is claimed (JOBSCHED_TICK_BUDGET_SECONDS, default 0.1;
    0 or less: no budget, a tick claims everything that is due)."""
    seconds = settings.current().tick_budget_seconds
    return seconds if seconds > 0 else None


def max_runtime_seconds(request: FireRequest) -> int:
    """The job definition's max_runtime_seconds, else JOBSCHED_MAX_RUNTIME_SECONDS (default one hour)."""
    if request.job.max_runtime_seconds:
        return int(request.job.max_runtime_seconds)
    return int(settings.current().max_runtime_seconds)


def claim_lease() -> timedelta:
    seconds = settings.current().claim_lease_seconds
    return timedelta(seconds=seconds) if seconds is not None else DEFAULT_LEASE


class InstanceRunLookup:
    def __init__(self, instance: DagsterInstance) -> None:
        self._instance = instance

    def run_id_for_key(self, run_key: str) -> str | None:
        runs = self._instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}), limit=1)
        return runs[0].run_id if runs else None

    def run_outcome(self, run_id: str) -> FireStatus | None:
        """The ledger status of a finished run; None while it is still queued or running."""
        run = self._instance.get_run_by_id(run_id)
        if run is None or not run.is_finished:
            return None
        return OUTCOMES.get(run.status)

    def abandoned_failure(self, run_id: str) -> bool:
        """A run failed outside its step that Dagster's run retry will not re-run (it decided `will_retry`
        false, e.g. the code location was unreachable when it tried) and that has no retry run."""
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.status != DagsterRunStatus.FAILURE:
            return False
        tags = run.tags
        if tags.get("dagster/failure_reason") == "STEP_FAILURE" or tags.get("dagster/will_retry") != "false":
            return False
        return not tags.get("dagster/auto_retry_run_id")

    def has_active_run(self, job_key: str) -> bool:
        runs_filter = RunsFilter(tags={TAG_JOB: job_key}, statuses=ACTIVE_STATUSES)
        return bool(self._instance.get_runs(runs_filter, limit=1))


def run_request(request: FireRequest) -> RunRequest:
    """The fire's run, targeting its (business date, job) partition, with the row's params as typed config.

    The engine requests fires only of job definitions whose params the adapter's model accepts (it
    quarantines the others), and `run_config` passes them in the form the job's typed config takes, so
    Dagster never refuses a RunRequest's config. Should the model refuse them all the same, the request
    leaves them out: the step then reads the row and fails naming the field; the tick's other runs go on."""
    if request.business_date is None:
        raise ValueError(f"fire {request.run_key} has no business date")
    key = partitions.partition_key(request.job.job_key, request.business_date)
    job = request.job
    try:
        config = run_config(job.adapter, job.job_key, request.business_date, job.params)
    except AdapterConfigError:
        config = run_config(job.adapter, job.job_key, request.business_date, None)
    return RunRequest(
        run_key=request.run_key,
        partition_key=key,
        job_name=job.adapter,
        run_config=config,
        tags=request.tags() | {MAX_RUNTIME_TAG: str(max_runtime_seconds(request))},
    )


def build_engine_sensor(jobs: list) -> SensorDefinition:
    @sensor(
        name="jobsched_engine",
        jobs=jobs,
        minimum_interval_seconds=1,
        default_status=DefaultSensorStatus.RUNNING,
        description="Turns schedule rows + calendars into exactly one run per due fire; records every skip.",
    )
    def jobsched_engine(
        context: SensorEvaluationContext, jobsched_db: JobschedDatabase
    ) -> SensorResult | SkipReason:
        engine = jobsched_db.engine()
        runs = InstanceRunLookup(context.instance)
        # a tick that continues a burst left over by the previous one claims all of it (no budget): the
        # daemon starts the next tick only after it has created the previous tick's runs
        budget = None if context.cursor == CONTINUE else tick_budget()
        try:
            result = tick(engine, utc_now(), runs, claim_lease(), budget)
            _log_errors(context, result)
            texts = [result.text()]
            next_at = result.next_run_at
            if not result.requests and next_at is not None and _due_soon(next_at):
                time.sleep(max(0.0, (next_at - utc_now()).total_seconds()))
                result = tick(engine, max(utc_now(), next_at), runs, claim_lease(), tick_budget())
                _log_errors(context, result)
                texts.append(result.text())
            requests = _dated(context, engine, result.requests)
        except Exception as exc:
            if not is_transient(exc):
                raise
            return _abandoned(context, exc)
        _recovered(context, result)
        cursor = CONTINUE if result.deferred else None
        if cursor != context.cursor:
            context.update_cursor(cursor)
        story = "; ".join(t for t in texts if t)
        if not requests:
            return SkipReason(_bounded(f"{story or 'nothing due'}; next fire {_fmt(result.next_run_at)}"))
        context.log.info(_bounded(story))
        _hand_over(engine, requests)
        return SensorResult(
            run_requests=[run_request(r) for r in requests],
            dynamic_partitions_requests=partition_requests(requests),
        )

    return jobsched_engine


def partition_requests(requests: list[FireRequest]) -> list:
    """Add the partitions the tick's runs target (Dagster applies these before it submits the runs)."""
    cells = [(r.job.adapter, r.job.job_key, r.business_date) for r in requests if r.business_date]
    return partitions.add_requests(cells)


def _abandoned(context: SensorEvaluationContext, exc: BaseException) -> SkipReason:
    """A transient database error: no quarantine, no watermark moved; the next tick plans it all again."""
    line = OUTAGE.failed(utc_now(), exc)
    if line:
        context.log.warning(line)
    since = OUTAGE.since.isoformat() if OUTAGE.since else "now"
    return SkipReason(f"tick abandoned: database unavailable since {since} ({type(exc).__name__})")


def _recovered(context: SensorEvaluationContext, result: TickResult) -> None:
    line = OUTAGE.ok(utc_now(), result.next_run_at)
    if line:
        context.log.warning(line)


def _dated(
    context: SensorEvaluationContext, engine: Engine, requests: list[FireRequest]
) -> list[FireRequest]:
    """The requests that can become runs. A claimed fire whose ledger row has no business date (written by
    hand or by an older version) cannot be configured: it becomes a `no_business_date` skip, and the other
    fires of the tick still run."""
    undated = [r for r in requests if r.business_date is None]
    if not undated:
        return requests
    detail = "the ledger row has no business date, so the run cannot be configured; trigger the fire again"
    with engine.begin() as conn:
        ledger.skip_claims(
            conn, [r.run_key for r in undated], domain.SkipReason.NO_BUSINESS_DATE, detail, utc_now()
        )
    for r in undated:
        context.log.warning(f"fire {r.run_key} skipped: {detail}")
    return [r for r in requests if r.business_date is not None]


def _hand_over(engine: Engine, requests: list[FireRequest]) -> None:
    """Restart the claims' lease now that their RunRequests leave; best effort (the claim stands)."""
    try:
        with engine.begin() as conn:
            ledger.handed_over(conn, [r.run_key for r in requests], utc_now())
    except Exception as exc:
        if not is_transient(exc):
            raise


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


def _outcome_sensor(status: DagsterRunStatus, fire_status: FireStatus) -> SensorDefinition:
    @run_status_sensor(
        run_status=status,
        name=f"jobsched_outcome_{fire_status.value}",
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Writes '{fire_status.value}' and the run id back to the fire ledger.",
    )
    def _sensor(context: RunStatusSensorContext, jobsched_db: JobschedDatabase) -> None:
        run = context.instance.get_run_by_id(context.dagster_run.run_id) or context.dagster_run
        tags = run.tags
        if TAG_SCHEDULE not in tags or TAG_FIRE_TIME not in tags:
            return
        fire_at = datetime.fromisoformat(tags[TAG_FIRE_TIME])
        detail = outcome_detail(
            run, fire_status, context.dagster_event.message if context.dagster_event else None
        )
        schedule_id, parent = int(tags[TAG_SCHEDULE]), tags.get("dagster/parent_run_id")
        engine = jobsched_db.engine()
        ledger.record_outcome(engine, schedule_id, fire_at, run.run_id, fire_status, detail, parent)

    return _sensor


def outcome_detail(run: DagsterRun, fire_status: FireStatus, message: str | None) -> str | None:
    """Say which attempt ended how, and whether Dagster's run retry takes the fire over next."""
    tags = run.tags
    attempt = int(tags.get("dagster/retry_number", "0") or 0) + 1
    if fire_status is FireStatus.SUCCESS:
        return f"succeeded on attempt {attempt} (run {run.run_id})" if attempt > 1 else None
    reason = tags.get("dagster/failure_reason", "")
    text = " ".join((message or "").split())[:300]
    line = f"attempt {attempt} (run {run.run_id}) {fire_status.value}" + (f" [{reason}]" if reason else "")
    line += f": {text}" if text else ""
    if fire_status is FireStatus.FAILURE:
        will_retry = tags.get("dagster/will_retry") == "true"
        line += "; Dagster re-runs it" if will_retry else "; not re-run"
    return line


def build_sensors(jobs: list) -> list:
    return [
        build_engine_sensor(jobs),
        _outcome_sensor(DagsterRunStatus.SUCCESS, FireStatus.SUCCESS),
        _outcome_sensor(DagsterRunStatus.FAILURE, FireStatus.FAILURE),
        _outcome_sensor(DagsterRunStatus.CANCELED, FireStatus.CANCELED),
    ]
