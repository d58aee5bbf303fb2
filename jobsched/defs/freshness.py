"""The freshness sensor: job definitions' calendar-aware deadlines as the `deadline_met` asset check.

Every minute it evaluates every deadline (`jobsched.service.freshness.evaluate`, the same evaluation that
/health and /metrics report) and records, for each (business date, job) partition whose state changed since
its last tick, an `AssetCheckEvaluation` of `deadline_met` on the job's adapter asset: passed when the
business date was loaded, failed (severity ERROR) when its deadline passed without a successful load.
Holidays have no deadline, so they never produce a failed check.
"""

from __future__ import annotations

import json

import dagster as dg

from jobsched import adapters
from jobsched.defs import partitions
from jobsched.defs.jobs import DEADLINE_CHECK, asset_key, deadline_metadata
from jobsched.defs.resources import JobschedDatabase  # resolved at runtime: Dagster reads the annotation
from jobsched.service.freshness import ERROR, NOT_DUE, DeadlineStatus, evaluate
from jobsched.store.rows import utc_now

SENSOR = "jobsched_freshness"


def check_evaluation(status: DeadlineStatus) -> dg.AssetCheckEvaluation | None:
    """The deadline status as a check evaluation on its partition; None for an adapter without an asset."""
    try:
        table = getattr(adapters.get_adapter(status.adapter), "table", None)
    except LookupError:
        return None
    if table is None:
        return None
    return dg.AssetCheckEvaluation(
        asset_key=asset_key(table.name),
        check_name=DEADLINE_CHECK,
        passed=status.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=status.detail,
        metadata=deadline_metadata(status),
        partition=str(partitions.partition_key(status.job_key, status.business_date)),
    )


def build_freshness_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Evaluates job definitions' deadlines (calendar-aware) as the deadline_met asset check.",
    )
    def jobsched_freshness(
        context: dg.SensorEvaluationContext, jobsched_db: JobschedDatabase
    ) -> dg.SensorResult:
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        statuses = [s for s in evaluate(jobsched_db.engine(), utc_now()) if s.state not in (NOT_DUE, ERROR)]
        current = {f"{s.job_key}|{s.business_date.isoformat()}": s.state for s in statuses}
        changed = [s for s in statuses if seen.get(f"{s.job_key}|{s.business_date.isoformat()}") != s.state]
        events = [e for e in map(check_evaluation, changed) if e is not None]
        for status in changed:
            partitions.ensure(context.instance, status.adapter, status.job_key, status.business_date)
        cursor = json.dumps(current, sort_keys=True)
        if not events:
            return dg.SensorResult(
                skip_reason=f"{len(statuses)} deadline(s) evaluated, none changed", cursor=cursor
            )
        missed = [s.detail for s in changed if not s.passed]
        if missed:
            context.log.warning("deadline missed: " + "; ".join(missed))
        return dg.SensorResult(asset_events=events, cursor=cursor)

    return jobsched_freshness
