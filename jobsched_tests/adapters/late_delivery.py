"""A source that is late: attempt 1 of the Dagster step finds nothing, the delivery lands, a retry loads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import dagster as dg


def deliver_after_first_retry(instance: dg.DagsterInstance, deliver: Callable[[], None]) -> threading.Thread:
    """Start a thread that calls `deliver` once a run of `instance` has logged STEP_UP_FOR_RETRY."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for run in instance.get_runs():
                events = [
                    e.dagster_event.event_type for e in instance.all_logs(run.run_id) if e.dagster_event
                ]
                if dg.DagsterEventType.STEP_UP_FOR_RETRY in events:
                    deliver()
                    return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread
