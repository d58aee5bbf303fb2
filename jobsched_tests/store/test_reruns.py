"""A fire whose run failed outside its step and that Dagster's run retry gave up on is re-run by jobsched."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from jobsched import engine as jobsched_engine
from jobsched.domain.model import FireStatus
from jobsched.store import ledger
from jobsched_tests.store.test_transient import FIRE, NOW, add_minutely


class Runs:
    """Dagster's verdicts as the engine sees them (the real lookup reads the instance's run tags)."""

    def __init__(self, abandoned: set[str]) -> None:
        self.abandoned = abandoned

    def run_id_for_key(self, run_key: str) -> str | None:
        return None

    def has_active_run(self, job_key: str) -> bool:
        return False

    def abandoned_failure(self, run_id: str) -> bool:
        return run_id in self.abandoned


def fail_first_run(db: sa.Engine, detail: str) -> int:
    schedule_id = add_minutely(db)
    (request,) = jobsched_engine.tick(db, NOW, Runs(set())).requests
    assert ledger.confirm_fire(db, schedule_id, FIRE, "r1") is None
    assert ledger.record_outcome(db, schedule_id, FIRE, "r1", FireStatus.FAILURE, detail)
    return schedule_id


def test_an_abandoned_infrastructure_failure_is_re_run_once_under_a_new_run_key(db: sa.Engine) -> None:
    schedule_id = fail_first_run(db, "attempt 1 (run r1) failure: marked as failed from outside; not re-run")
    later = NOW + timedelta(seconds=10)
    assert not jobsched_engine.tick(db, later, Runs(set())).requests  # Dagster has not given up: wait
    (rerun,) = jobsched_engine.tick(db, later, Runs({"r1"})).requests
    assert rerun.run_key.endswith(":attempt2") and rerun.fire_at == FIRE
    assert not jobsched_engine.tick(db, later, Runs({"r1"})).requests  # once
    assert ledger.confirm_fire(db, schedule_id, FIRE, "r2") is None  # the new run takes the fire
    with db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=schedule_id)
    assert (entry.status, entry.run_id, entry.attempts) == ("running", "r2", 2)
    assert "re-run by jobsched as attempt 2" in (entry.detail or "")


def test_an_adapter_failure_is_not_re_run(db: sa.Engine) -> None:
    fail_first_run(db, "attempt 1 (run r1) failure [STEP_FAILURE]: source down; not re-run")
    assert not jobsched_engine.tick(db, NOW + timedelta(seconds=10), Runs({"r1"})).requests


class Finished(Runs):
    def run_outcome(self, run_id: str) -> FireStatus | None:
        return FireStatus.SUCCESS if run_id == "r1" else None


def test_an_outcome_the_sensor_lost_is_written_by_a_later_tick(db: sa.Engine) -> None:
    schedule_id = add_minutely(db)
    jobsched_engine.tick(db, NOW, Runs(set()))
    assert ledger.confirm_fire(db, schedule_id, FIRE, "r1") is None
    # the run succeeded while the database was away: its outcome sensor could not write
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE fire_ledger SET updated_at = :t"), {"t": NOW - timedelta(minutes=5)})
    jobsched_engine.tick(db, NOW + timedelta(seconds=10), Finished(set()))
    with db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=schedule_id)
    assert (entry.status, entry.run_id) == ("success", "r1")
    assert "written by the engine" in (entry.detail or "")
