from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobsched.store.migrate import upgrade
from jobsched_tests.conftest import create_database, drop_database, require_postgres
from jobsched_tests.reliability.harness import Deployment, write_dagster_home
from jobsched_tests.reliability.trials import FAST_MONITORING


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """jobsched tables and Dagster storage on fresh Postgres databases; daemons are started by the test."""
    require_postgres()
    jobsched_url = create_database("jobsched_rel")
    dagster_url = create_database("dagster_rel")
    upgrade(jobsched_url)
    home = tmp_path / "dagster_home"
    write_dagster_home(home, dagster_url, FAST_MONITORING)
    # a killed run worker is ended (and its fire retried) after 2 minutes, not the default hour
    extra_env = {"JOBSCHED_CLAIM_LEASE_SECONDS": "15", "JOBSCHED_MAX_RUNTIME_SECONDS": "120"}
    deployment = Deployment(home=home, jobsched_url=jobsched_url, extra_env=extra_env)
    try:
        yield deployment
    finally:
        deployment.stop_all()
        print(deployment.logs()[-3000:])
        drop_database(jobsched_url)
        drop_database(dagster_url)
