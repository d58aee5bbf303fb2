"""The store on SQLite and on the local Postgres: constraints, triggers, atomic claims, the fire guard."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from jobsched.domain.model import Candidate, FireStatus, SkipReason, Trigger
from jobsched.store import ledger, state
from jobsched.store.repository import custom_calendars, get_job_definition, schedule_rows

FIRE = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
CANDIDATE = Candidate(fire_at=FIRE, business_date=date(2026, 11, 23))


def test_sql_update_bumps_version_and_updated_at(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.execute(sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('j', 'demo_echo')"))
        conn.execute(sa.text("INSERT INTO schedules (name, job_key, cron) VALUES ('s', 'j', '0 9 * * *')"))
    before = schedule_rows(db.connect())[0]
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE schedules SET cron = '0 10 * * *' WHERE name = 's'"))
    after = schedule_rows(db.connect())[0]
    assert (before["version"], after["version"]) == (1, 2)
    assert after["updated_at"] >= before["updated_at"] and after["updated_at"].tzinfo is UTC
    assert get_job_definition(db, "j").adapter == "demo_echo"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "column, value",
    [
        ("kind", "weekly"),
        ("holiday_rule", "sometimes"),
        ("misfire_policy", "fire_twice"),
        ("overlap_policy", "maybe"),
        ("business_day", 0),
        ("misfire_grace_seconds", -5),
    ],
)
def test_check_constraints_reject_impossible_values(db: sa.Engine, column: str, value: object) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO schedules (name, job_key, cron, {column}) VALUES ('x', 'j', '* * * * *', :v)"
            ),
            {"v": value},
        )


def test_cron_kind_requires_a_cron(db: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:
        conn.execute(sa.text("INSERT INTO schedules (name, job_key, kind) VALUES ('x', 'j', 'cron')"))


def test_a_fire_is_claimed_once_even_by_concurrent_claimers(db: sa.Engine) -> None:
    def claim(_: int) -> int | None:
        with db.begin() as conn:
            return ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(claim, range(16)))
    assert sum(r is not None for r in results) == 1
    with db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=1)
    assert entry.status == "requested" and entry.run_key == ledger.run_key_for(1, FIRE)
    assert entry.fire_at == FIRE


def test_fire_guard_lets_exactly_one_run_do_the_work(db: sa.Engine) -> None:
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: ledger.confirm_fire(db, 1, FIRE, f"run-{i}"), range(6)))
    winners = [i for i, answer in enumerate(answers) if answer is None]
    assert len(winners) == 1
    holder = f"run-{winners[0]}"
    assert all(holder in answer for answer in answers if answer is not None)
    assert ledger.confirm_fire(db, 1, FIRE, holder) is None  # the holder may re-confirm (step retry)

    assert not ledger.record_outcome(db, 1, FIRE, "run-other", FireStatus.SUCCESS)
    assert ledger.record_outcome(db, 1, FIRE, holder, FireStatus.SUCCESS)
    with db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=1)
    assert (entry.status, entry.run_id) == ("success", holder)
    assert ledger.confirm_fire(db, 1, FIRE, "late-duplicate") is not None


def test_fire_not_in_ledger_is_refused(db: sa.Engine) -> None:
    assert "not in the ledger" in (ledger.confirm_fire(db, 9, FIRE, "r") or "")


def test_skips_never_overwrite_a_claim_and_backfill_never_duplicates(db: sa.Engine) -> None:
    skipped = Candidate(
        fire_at=FIRE + timedelta(days=1), business_date=date(2026, 11, 24), skip=SkipReason.MISFIRE
    )
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)
        assert (
            ledger.record_skips(conn, 1, "j", [Candidate(FIRE, date(2026, 11, 23), skip=SkipReason.HOLIDAY)])
            == 0
        )
        assert ledger.record_skips(conn, 1, "j", [skipped]) == 1
        assert ledger.add_pending(conn, 1, "j", CANDIDATE, Trigger.BACKFILL) is None  # already claimed
        assert ledger.add_pending(conn, 1, "j", skipped, Trigger.BACKFILL) is not None  # reopens the misfire
    with db.begin() as conn:
        claimed = ledger.claim_pending(conn, FIRE + timedelta(days=2))
        assert [e.trigger for e in claimed] == ["backfill"]
        assert ledger.claim_pending(conn, FIRE + timedelta(days=2)) == []


def test_stale_claim_is_renewed_by_exactly_one_replica(db: sa.Engine) -> None:
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)
    later = FIRE + timedelta(minutes=5)
    with db.connect() as conn:
        (stale,) = ledger.stale_claims(conn, later, timedelta(seconds=60))
        assert ledger.stale_claims(conn, FIRE + timedelta(seconds=30), timedelta(seconds=60)) == []
    with db.begin() as conn:
        assert ledger.renew_claim(conn, stale, later)
    with db.begin() as conn:
        assert not ledger.renew_claim(conn, stale, later)


def test_watermark_never_moves_back(db: sa.Engine) -> None:
    with db.begin() as conn:
        state.advance(conn, 1, FIRE, 1, FIRE)
        state.advance(conn, 1, FIRE - timedelta(hours=1), 1, FIRE)
        state.quarantine(conn, 2, "cron='x': bad", FIRE)
    with db.connect() as conn:
        states = state.load_states(conn)
    assert states[1].watermark == FIRE and states[1].error is None
    assert states[2].error == "cron='x': bad"


def test_custom_calendar_with_a_bad_override_is_reported_not_raised(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.execute(sa.text("INSERT INTO calendars (name, base) VALUES ('good', 'XNYS'), ('bad', NULL)"))
        conn.execute(
            sa.text(
                "INSERT INTO calendar_overrides (calendar_id, day, kind, open_time, reason) "
                "SELECT id, '2026-12-05', 'session', '25:99', 'typo' FROM calendars WHERE name = 'bad'"
            )
        )
    with db.connect() as conn:
        specs, errors = custom_calendars(conn)
    assert set(specs) == {"good"} and "25:99" in errors["bad"]


def test_re_execution_of_the_failed_holder_takes_the_fire_over(db: sa.Engine) -> None:
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)
    assert ledger.confirm_fire(db, 1, FIRE, "first") is None
    assert ledger.record_outcome(db, 1, FIRE, "first", FireStatus.FAILURE)
    assert ledger.confirm_fire(db, 1, FIRE, "stranger") is not None
    assert ledger.confirm_fire(db, 1, FIRE, "stranger", parent_run_id="someone-else") is not None
    assert ledger.confirm_fire(db, 1, FIRE, "retry", parent_run_id="first") is None
    with db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=1)
    assert (entry.status, entry.run_id, entry.attempts) == ("running", "retry", 2)


def test_two_launches_of_the_same_run_execute_the_fire_once(db: sa.Engine) -> None:
    """Two daemons' run queues can launch one run twice: the executions are told apart by holder."""
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda i: ledger.confirm_fire(db, 1, FIRE, "run-1", holder=f"run-1/{i}"), range(4))
        )
    assert sum(answer is None for answer in answers) == 1
    winner = f"run-1/{answers.index(None)}"
    assert ledger.confirm_fire(db, 1, FIRE, "run-1", holder=winner) is None  # a step retry in that execution


def test_dagster_run_retry_takes_the_fire_over_before_the_outcome_is_written(db: sa.Engine) -> None:
    """Worker killed mid-step: the ledger still says running when Dagster's retry reaches the guard."""
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)
    assert ledger.confirm_fire(db, 1, FIRE, "first", holder="first/dead-worker") is None
    assert ledger.confirm_fire(db, 1, FIRE, "stranger") is not None  # no parent: still held
    assert ledger.confirm_fire(db, 1, FIRE, "retry", parent_run_id="first") is None
    assert not ledger.record_outcome(db, 1, FIRE, "first", FireStatus.FAILURE)  # late: the retry holds it
    assert ledger.record_outcome(db, 1, FIRE, "retry", FireStatus.SUCCESS, "succeeded on attempt 2")
    with db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=1)
    assert (entry.status, entry.run_id, entry.attempts, entry.detail) == (
        "success",
        "retry",
        2,
        "succeeded on attempt 2",
    )


def test_a_retry_of_a_run_that_failed_before_its_first_step_takes_the_noted_fire(db: sa.Engine) -> None:
    with db.begin() as conn:
        ledger.claim_fire(conn, 1, "j", CANDIDATE, FIRE)
        (entry,) = ledger.entries(conn, schedule_id=1)
        ledger.note_run_id(conn, entry.id, "never-started")
    assert ledger.confirm_fire(db, 1, FIRE, "retry", parent_run_id="never-started") is None
