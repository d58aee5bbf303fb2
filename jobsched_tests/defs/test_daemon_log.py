"""jobsched.defs.daemon: the sensor daemon's heartbeat lines are dropped, what changed is kept."""

from __future__ import annotations

import logging

import pytest

from jobsched.defs.daemon import HeartbeatFilter


def test_heartbeats_are_dropped_and_changes_kept(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("jobsched_test.SensorDaemon")
    logger.addFilter(HeartbeatFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("Checking for new runs for sensor: jobsched_engine")
        for _ in range(3):
            logger.info("Sensor jobsched_engine skipped: nothing due; next fire 2026-11-23T21:28:00+00:00")
        logger.info("Sensor jobsched_outcome_success skipped: Sensor function returned an empty result")
        logger.info("Sensor jobsched_engine skipped: nothing due; next fire 2026-11-23T21:29:00+00:00")
        logger.info("Completed a tick for jobsched_engine, launched 1 run")
        logger.warning("Checking for new runs for sensor: shown at warning level")
    assert [r.getMessage() for r in caplog.records] == [
        "Sensor jobsched_engine skipped: nothing due; next fire 2026-11-23T21:28:00+00:00",
        "Sensor jobsched_engine skipped: nothing due; next fire 2026-11-23T21:29:00+00:00",
        "Completed a tick for jobsched_engine, launched 1 run",
        "Checking for new runs for sensor: shown at warning level",
    ]
