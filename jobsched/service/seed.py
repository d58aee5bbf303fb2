"""`jobsched seed`: insert the example job definitions and schedules that are missing. Idempotent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from jobsched.service.errors import ServiceError
from jobsched.service.jobs import create_job
from jobsched.service.models import SeedReport
from jobsched.service.schedules import create_schedule
from jobsched.store.schema import job_definitions, schedules


class SeedFailed(ServiceError):
    status = 422
    code = "seed_failed"


def seed(
    engine: sa.Engine,
    now: datetime,
    jobs: Iterable[Mapping[str, Any]] | None = None,
    schedule_rows: Iterable[Mapping[str, Any]] | None = None,
) -> SeedReport:
    """Rows are matched by job_key / name; existing ones are left as they are (never overwritten)."""
    if jobs is None or schedule_rows is None:
        from jobsched.adapters.seed_examples import EXAMPLE_JOB_DEFINITIONS, EXAMPLE_SCHEDULES

        jobs = EXAMPLE_JOB_DEFINITIONS if jobs is None else jobs
        schedule_rows = EXAMPLE_SCHEDULES if schedule_rows is None else schedule_rows
    report = SeedReport()
    with engine.connect() as conn:
        present_jobs = set(conn.execute(sa.select(job_definitions.c.job_key)).scalars())
        present_schedules = set(conn.execute(sa.select(schedules.c.name)).scalars())
    for job in jobs:
        key = str(job["job_key"])
        if key in present_jobs:
            report.present_jobs.append(key)
            continue
        _create(lambda job=job: create_job(engine, job), f"job definition {key!r}")
        report.created_jobs.append(key)
    for row in schedule_rows:
        name = str(row["name"])
        if name in present_schedules:
            report.present_schedules.append(name)
            continue
        _create(lambda row=row: create_schedule(engine, row, now), f"schedule {name!r}")
        report.created_schedules.append(name)
    return report


def _create(action: Any, what: str) -> None:
    try:
        action()
    except ServiceError as exc:
        raise SeedFailed(f"seed: example {what} was refused: {exc.message}", exc.problems) from None
