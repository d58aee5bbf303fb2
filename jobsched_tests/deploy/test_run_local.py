"""`make run`'s script under real signals: one SIGINT (Ctrl-C) or SIGTERM stops every process it started,
an in-flight run is canceled (not failed), and a second start resumes with its state and API token."""

from __future__ import annotations

import signal
import stat

import httpx
import pytest
from dagster._core.instance import DagsterInstance, InstanceRef
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

from jobsched_tests.deploy.conftest import LocalRun, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.daemon]
SCHEDULE = "eod_prices_xnse_1830"


def runs(local: LocalRun, statuses: list[DagsterRunStatus] | None = None) -> list:
    ref = InstanceRef.from_dir(str(local.dagster_home))
    with DagsterInstance.from_ref(ref) as instance:
        runs_filter = RunsFilter(tags={"jobsched/job": "eod_prices_xnse"}, statuses=statuses)
        return list(instance.get_runs(runs_filter))


def test_one_sigint_stops_everything_and_a_restart_resumes(local_run: LocalRun) -> None:
    local_run.start()
    token_file = local_run.data_dir / "api-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert f"API token       {token}" in local_run.tail()  # printed with the URLs
    auth = {"Authorization": f"Bearer {token}"}
    schedule = next(s for s in httpx.get(local_run.api + "/schedules").json() if s["name"] == SCHEDULE)

    # A run in flight: the source hangs, so the run is still reading when the stop comes.
    fault = {"path": "/eod/", "delay": 600, "count": -1}
    httpx.post(f"http://127.0.0.1:{local_run.ports['samples']}/_control/fault", json=fault).raise_for_status()
    httpx.post(f"{local_run.api}/schedules/{schedule['id']}/trigger", headers=auth).raise_for_status()
    wait_until(lambda: runs(local_run, [DagsterRunStatus.STARTED]), 240, "the triggered run to start")

    took = local_run.signal(signal.SIGINT)
    assert local_run.process is not None and local_run.process.returncode != 0
    assert local_run.leftovers() == {}, f"left running after SIGINT:\n{local_run.leftovers()}"
    print(f"run-local.sh stopped {took:.1f}s after SIGINT")
    (run,) = runs(local_run)
    assert run.status == DagsterRunStatus.CANCELED, local_run.tail()
    assert run.tags["jobsched/stopped_by"] == "shutdown"

    # Second start: same rows, same token; the outcome sensor records the cancel in the ledger.
    local_run.start()
    assert token_file.read_text().strip() == token
    names = {s["name"] for s in httpx.get(local_run.api + "/schedules").json()}
    assert SCHEDULE in names

    def ledger_outcome() -> str | None:
        fires = httpx.get(f"{local_run.api}/schedules/{schedule['id']}/fires").json()
        items = fires["items"] if isinstance(fires, dict) else fires
        return next((f["status"] for f in items if f.get("run_id") == run.run_id), None)

    assert wait_until(lambda: ledger_outcome() == "canceled", 240, "the ledger to say canceled")
    assert [r.status for r in runs(local_run)] == [DagsterRunStatus.CANCELED]

    took = local_run.signal(signal.SIGTERM)
    assert local_run.leftovers() == {}, f"left running after SIGTERM:\n{local_run.leftovers()}"
    print(f"run-local.sh stopped {took:.1f}s after SIGTERM")
