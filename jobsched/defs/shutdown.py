"""`python -m jobsched.defs.shutdown`: cancel the runs in flight before `make run` stops its services.

Killing the services with a run in progress would leave Dagster to mark it `failure` (the run worker
vanished), which reads like an adapter failure. Instead each in-progress run is terminated through the run
launcher while its code server is still up: Dagster marks it CANCELED, the outcome sensor writes `canceled`
to the fire ledger on the next start, and the run carries `jobsched/stopped_by=shutdown`. Re-executing it
from the UI retries the fire (the fire guard lets a re-execution of a canceled holder take it over).
Queued runs stay queued and start after the next `make run`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from jobsched.tags import TAG_STOPPED_BY

IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def cancel_in_flight(instance: DagsterInstance, timeout: float) -> list[str]:
    """Ask every in-progress run to stop, wait up to `timeout` s for them to end, and mark those still
    canceling as canceled (make run kills their workers next, so they could not say it themselves).
    Returns the ids of the runs it canceled."""
    runs = instance.get_runs(RunsFilter(statuses=IN_PROGRESS))
    for run in runs:
        instance.add_run_tags(run.run_id, {TAG_STOPPED_BY: "shutdown"})
        try:
            instance.run_coordinator.cancel_run(run.run_id)
        except Exception as exc:  # noqa: BLE001 - the code server may already be gone; report and go on
            print(f"jobsched: could not cancel run {run.run_id}: {exc}", file=sys.stderr)
    deadline = time.monotonic() + timeout
    ids = [run.run_id for run in runs]
    busy = [*IN_PROGRESS, DagsterRunStatus.CANCELING]
    pending = instance.get_runs(RunsFilter(run_ids=ids, statuses=busy)) if ids else []
    while pending and time.monotonic() < deadline:
        time.sleep(0.2)
        pending = instance.get_runs(RunsFilter(run_ids=ids, statuses=busy))
    for run in pending:
        instance.report_run_canceled(run, message="Canceled: make run stopped while this run was in flight.")
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=4.0)
    parser.add_argument("--ready-file", help="with --on-sigusr1: created once the instance storage is ready")
    parser.add_argument(
        "--on-sigusr1",
        action="store_true",
        help="load Dagster now, cancel on SIGUSR1 (make run starts it early, so stopping is fast)",
    )
    args = parser.parse_args(argv)
    if args.on_sigusr1:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    with DagsterInstance.get() as instance:
        if args.on_sigusr1:
            # Create/upgrade Dagster's storage here, alone: the webserver and daemon (started after this)
            # racing to initialise a fresh SQLite instance can leave two alembic heads behind.
            instance.upgrade()
            if args.ready_file:
                Path(args.ready_file).touch()
            signal.sigwait({signal.SIGUSR1})
        ids = cancel_in_flight(instance, args.timeout)
    for run_id in ids:
        print(f"jobsched: run {run_id} canceled by shutdown (re-execute it in the UI to retry its fire)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
