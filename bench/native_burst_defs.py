"""Baseline for bench_burst.py: N native ScheduleDefinitions that all fire at the same instant.

Set by bench_burst.py: BENCH_NATIVE_SCHEDULES (count), BENCH_NATIVE_CRON (a cron that fires once during the
bench, e.g. "37 14 * * *") and BENCH_NATIVE_JOB: "jobsched" (default) targets jobsched's own `demo_echo` job
with the run config a jobsched fire gets, so both sides create the same runs and only the scheduling
machinery differs; "op" targets a one-op job with no assets (cheaper runs: no asset events).
"""

import os
from datetime import UTC, datetime

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition, job, op

from jobsched.defs.jobs import build_assets, build_checks, build_jobs, run_config
from jobsched.defs.resources import build_resources


@op
def native_burst_echo() -> None:
    pass


@job
def native_burst_job() -> None:
    native_burst_echo()


CRON = os.environ.get("BENCH_NATIVE_CRON", "0 0 1 1 *")
COUNT = int(os.environ.get("BENCH_NATIVE_SCHEDULES", "1000"))

if os.environ.get("BENCH_NATIVE_JOB", "jobsched") == "op":
    target, config, jobs, assets = native_burst_job, None, [native_burst_job], []
else:
    jobs, assets = build_jobs(), build_assets()
    target = next(j for j in jobs if j.name == "demo_echo")
    config = run_config("demo_echo", "demo_echo", datetime.now(UTC).date())

schedules = [
    ScheduleDefinition(
        name=f"native_burst_{i}",
        job=target,
        cron_schedule=CRON,
        execution_timezone="UTC",
        run_config=config,
        default_status=DefaultScheduleStatus.RUNNING,
    )
    for i in range(COUNT)
]

defs = Definitions(
    assets=assets,
    asset_checks=build_checks() if assets else [],
    jobs=jobs,
    schedules=schedules,
    resources=build_resources(),
)
