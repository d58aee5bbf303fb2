"""defs/coordinator.py through the real CLI: `dagster job launch` runs get jobsched/job + trigger=manual
before they queue (so the per-job limit applies to them); an unknown job key fails at once, naming it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.instance import DagsterInstance, InstanceRef

from jobsched.defs.jobs import run_config
from jobsched.defs.partitions import BUSINESS_DATES, jobs_partitions_name, partition_tags
from jobsched.store.schema import job_definitions

REPO = Path(__file__).resolve().parents[2]
BD = date(2026, 11, 20)
pytestmark = pytest.mark.slow


@pytest.fixture
def home(jobsched_env: Path) -> Path:
    home = jobsched_env / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def launch(
    home: Path, job_key: str, params: dict | None = None, tags: dict | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dagster", "job", "launch", "-w", "workspace.yaml", "-j", "demo_echo"]
    if tags is None:
        command += ["--config-json", json.dumps(run_config("demo_echo", job_key, BD, params))]
    else:  # as Dagster's UI launches a partition: its tags, no run config
        command += ["--tags", json.dumps(tags)]
    return subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def runs(home: Path) -> list[dg.DagsterRun]:
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        return list(instance.get_runs())


def test_hand_launched_runs_are_tagged_and_unknown_keys_fail(home: Path, jobsched_db: sa.Engine) -> None:
    with jobsched_db.begin() as conn:
        conn.execute(sa.insert(job_definitions).values(job_key="echo_a", adapter="demo_echo", params="{}"))
    done = launch(home, "echo_a")
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = runs(home)
    assert run.status == dg.DagsterRunStatus.QUEUED  # no daemon here: it waits in the queue
    assert run.tags["jobsched/job"] == "echo_a"
    assert run.tags["jobsched/trigger"] == "manual"
    assert run.tags["jobsched/business_date"] == "2026-11-20"
    assert run.tags["dagster/partition"] == "2026-11-20|echo_a"  # shows on the asset's partitions
    assert run.tags["dagster/partition/job"] == "echo_a"
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert instance.has_dynamic_partition(jobs_partitions_name("demo_echo"), "echo_a")
        assert instance.has_dynamic_partition(BUSINESS_DATES, "2026-11-20")

    refused = launch(home, "eod_prices_nse")
    assert refused.returncode != 0
    assert "job_key='eod_prices_nse': no job definition with this key" in refused.stderr + refused.stdout
    failed = [r for r in runs(home) if r.tags.get("jobsched/job") == "eod_prices_nse"]
    assert [r.status for r in failed] == [dg.DagsterRunStatus.FAILURE]


def test_a_partition_launched_without_config_gets_the_same_tags(home: Path, jobsched_db: sa.Engine) -> None:
    with jobsched_db.begin() as conn:
        conn.execute(sa.insert(job_definitions).values(job_key="echo_b", adapter="demo_echo", params="{}"))
    done = launch(home, "", tags=partition_tags("echo_b", BD))
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = runs(home)
    assert (run.tags["jobsched/job"], run.tags["jobsched/trigger"]) == ("echo_b", "manual")
    assert run.tags["jobsched/business_date"] == "2026-11-20"

    refused = launch(home, "", tags=partition_tags("nowhere", BD))
    assert refused.returncode != 0
    assert "job_key='nowhere': no job definition with this key" in refused.stderr + refused.stdout
