"""Baseline for bench_burst.py: N native ScheduleDefinitions that all fire at the same instant.

BENCH_NATIVE_SCHEDULES (count) and BENCH_NATIVE_CRON (a cron that fires once during the bench, e.g.
"37 14 * * *") are set by bench_burst.py. Every schedule targets the same trivial job, like the jobsched
side, whose rows all use one job definition.
"""

import os

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition, job, op


@op
def native_burst_echo() -> None:
    pass


@job
def native_burst_job() -> None:
    native_burst_echo()


schedules = [
    ScheduleDefinition(
        name=f"native_burst_{i}",
        job=native_burst_job,
        cron_schedule=os.environ.get("BENCH_NATIVE_CRON", "0 0 1 1 *"),
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
    )
    for i in range(int(os.environ.get("BENCH_NATIVE_SCHEDULES", "1000")))
]

defs = Definitions(jobs=[native_burst_job], schedules=schedules)
