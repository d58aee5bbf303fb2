"""Baseline for bench_fire_lag.py: Dagster's own ScheduleDefinition firing the same trivial work."""

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition, job, op


@op
def native_echo() -> None:
    pass


@job
def native_echo_job() -> None:
    native_echo()


native_every_minute = ScheduleDefinition(
    name="native_every_minute",
    job=native_echo_job,
    cron_schedule="* * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)

defs = Definitions(jobs=[native_echo_job], schedules=[native_every_minute])
