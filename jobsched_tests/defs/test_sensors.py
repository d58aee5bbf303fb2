"""The engine and outcome sensors evaluated against a real Dagster instance and a real jobsched database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    SensorResult,
    SkipReason,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
)

from jobsched.defs.definitions import defs
from jobsched.defs.resources import JobschedDatabase, build_resources
from jobsched.domain.model import Candidate, Trigger
from jobsched.store import ledger
from jobsched.store.db import engine_for
from jobsched.utc import utc_now

ENGINE_SENSOR = "jobsched_engine"


@pytest.fixture
def jobsched_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("JOBSCHED_LOOKAHEAD_SECONDS", "0")
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO job_definitions (job_key, adapter) VALUES ('demo_echo', 'demo_echo')")
        )
    return engine


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as instance:
        yield instance


def add_due_schedule(
    engine: sa.Engine,
    name: str = "hourly-at-this-minute",
    watermark: datetime | None = None,
    job_key: str = "demo_echo",
    **columns: str,
) -> int:
    minute = utc_now().replace(second=0, microsecond=0)
    # fires at this minute of every hour: due now, and no second fire appears while the test runs
    values = {"cron": f"{minute.minute} * * * *", "timezone": "UTC"} | columns
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO schedules (name, job_key, {', '.join(values)}) "
                f"VALUES (:name, :job_key, {', '.join(':' + c for c in values)})"
            ),
            {"name": name, "job_key": job_key, **values},
        )
        schedule_id = conn.execute(
            sa.text("SELECT id FROM schedules WHERE name = :n"), {"n": name}
        ).scalar_one()
        # by default planning resumes just before this minute's fire, as if the engine had been running
        conn.execute(
            sa.text("INSERT INTO schedule_state (schedule_id, watermark, seen_version) VALUES (:s, :w, 1)"),
            {"s": schedule_id, "w": watermark or minute - timedelta(microseconds=1)},
        )
    return schedule_id


def evaluate(instance: DagsterInstance) -> SensorResult | SkipReason:
    sensor = defs.get_sensor_def(ENGINE_SENSOR)
    context = build_sensor_context(instance=instance, definitions=defs, resources=build_resources())
    return sensor(context)


def test_due_fire_becomes_one_run_request_with_tags_and_config(jobsched_db: sa.Engine, instance) -> None:
    schedule_id = add_due_schedule(jobsched_db)
    result = evaluate(instance)
    assert isinstance(result, SensorResult)
    (request,) = result.run_requests
    fire_at = datetime.fromisoformat(request.tags["jobsched/fire_time"])
    assert fire_at.second == 0 and fire_at <= utc_now()
    assert request.job_name == "demo_echo"
    assert request.run_key == ledger.run_key_for(schedule_id, fire_at)
    assert request.tags["jobsched/schedule"] == str(schedule_id)
    assert request.tags["jobsched/business_date"] == fire_at.date().isoformat()
    assert request.tags["jobsched/job"] == "demo_echo" and request.tags["jobsched/adapter"] == "demo_echo"
    assert request.tags["jobsched/trigger"] == "schedule"
    (op_config,) = request.run_config["ops"].values()
    assert op_config["config"]["business_date"] == fire_at.date().isoformat()

    again = evaluate(instance)  # the fire is claimed: a second evaluation (or replica) requests nothing
    assert isinstance(again, SkipReason)


def test_bad_row_is_quarantined_and_the_others_keep_firing(jobsched_db: sa.Engine, instance) -> None:
    add_due_schedule(jobsched_db, "good")
    bad = add_due_schedule(jobsched_db, "bad", cron="61 * * * *")
    result = evaluate(instance)
    assert isinstance(result, SensorResult) and len(result.run_requests) == 1
    with jobsched_db.connect() as conn:
        error = conn.execute(
            sa.text("SELECT error FROM schedule_state WHERE schedule_id = :s"), {"s": bad}
        ).scalar()
    assert error and error.startswith("cron='61 * * * *'")


def test_claim_without_a_run_is_re_emitted_after_the_lease_but_never_twice(
    jobsched_db: sa.Engine, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBSCHED_CLAIM_LEASE_SECONDS", "0")
    add_due_schedule(jobsched_db)
    (first,) = evaluate(instance).run_requests  # type: ignore[union-attr]
    # the daemon "crashed" before creating the run: the claim is re-emitted with the same run_key
    (again,) = evaluate(instance).run_requests  # type: ignore[union-attr]
    assert again.run_key == first.run_key and again.tags == first.tags

    job = defs.get_job_def("demo_echo")
    run = job.execute_in_process(
        instance=instance,
        run_config=first.run_config,
        tags={**first.tags, "dagster/run_key": first.run_key},
    )
    assert run.success
    # the run now exists: re-emission stops, the ledger holds the run
    result = evaluate(instance)
    assert isinstance(result, SkipReason)
    with jobsched_db.connect() as conn:
        (entry,) = [e for e in ledger.entries(conn) if e.run_key == first.run_key]
    assert entry.run_id == run.run_id


def test_outcome_sensor_writes_success_back_to_the_ledger(jobsched_db: sa.Engine, instance) -> None:
    add_due_schedule(jobsched_db)
    (request,) = evaluate(instance).run_requests  # type: ignore[union-attr]
    run = defs.get_job_def("demo_echo").execute_in_process(
        instance=instance, run_config=request.run_config, tags=request.tags
    )
    (record,) = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_SUCCESS).records
    sensor = defs.get_sensor_def("jobsched_outcome_success")
    context = build_run_status_sensor_context(
        sensor_name="jobsched_outcome_success",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id),
        dagster_event=record.event_log_entry.dagster_event,
        resources=build_resources(),
    )
    sensor(context)
    with jobsched_db.connect() as conn:
        (entry,) = ledger.entries(conn)
    assert (entry.status, entry.run_id) == ("success", run.run_id)


def test_outcome_sensor_writes_to_the_database_of_its_jobsched_db_resource(
    jobsched_db: sa.Engine, instance, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_due_schedule(jobsched_db)
    (request,) = evaluate(instance).run_requests  # type: ignore[union-attr]
    run = defs.get_job_def("demo_echo").execute_in_process(
        instance=instance, run_config=request.run_config, tags=request.tags
    )
    (record,) = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_SUCCESS).records
    # the settings now name another database: the sensor must still write where its resource points
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    database_url = str(jobsched_db.url)
    context = build_run_status_sensor_context(
        sensor_name="jobsched_outcome_success",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id),
        dagster_event=record.event_log_entry.dagster_event,
        resources={"jobsched_db": JobschedDatabase(url=database_url)},
    )
    defs.get_sensor_def("jobsched_outcome_success")(context)
    with jobsched_db.connect() as conn:
        (entry,) = ledger.entries(conn)
    assert (entry.status, entry.run_id) == ("success", run.run_id)


def test_fire_due_within_the_lookahead_is_requested_at_its_instant(
    jobsched_db: sa.Engine, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick that sees a fire due before the next tick waits for it instead of leaving it 5 s late."""
    now = utc_now()
    next_fire = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    time.sleep(max(0.0, (next_fire - timedelta(seconds=4) - now).total_seconds()))
    monkeypatch.setenv("JOBSCHED_LOOKAHEAD_SECONDS", "9")
    add_due_schedule(jobsched_db, watermark=utc_now(), cron="* * * * *")
    result = evaluate(instance)
    returned_at = utc_now()
    assert isinstance(result, SensorResult)
    fire_at = datetime.fromisoformat(result.run_requests[0].tags["jobsched/fire_time"])
    assert fire_at == next_fire
    assert returned_at >= fire_at  # never requested early


def test_no_fire_within_the_lookahead_returns_without_waiting(jobsched_db: sa.Engine, instance) -> None:
    add_due_schedule(jobsched_db, watermark=utc_now(), cron="0 0 1 1 *")
    result = evaluate(instance)
    assert isinstance(result, SkipReason) and "next fire" in (result.skip_message or "")


def test_overlap_skip_records_an_overlap_while_a_run_of_the_job_is_running(
    jobsched_db: sa.Engine, instance
) -> None:
    schedule_id = add_due_schedule(jobsched_db, overlap_policy="skip")
    job = defs.get_job_def("demo_echo")
    instance.create_run_for_job(
        job_def=job, status=DagsterRunStatus.STARTED, tags={"jobsched/job": "demo_echo"}
    )
    assert isinstance(evaluate(instance), SkipReason)
    with jobsched_db.connect() as conn:
        (entry,) = ledger.entries(conn, schedule_id=schedule_id)
    assert (entry.status, entry.reason) == ("skipped", "overlap") and "queued or running" in (
        entry.detail or ""
    )


def test_overlap_queue_requests_even_while_a_run_of_the_job_is_running(
    jobsched_db: sa.Engine, instance
) -> None:
    add_due_schedule(jobsched_db)  # overlap_policy=queue: Dagster's queue holds it behind the other run
    job = defs.get_job_def("demo_echo")
    instance.create_run_for_job(
        job_def=job, status=DagsterRunStatus.STARTED, tags={"jobsched/job": "demo_echo"}
    )
    result = evaluate(instance)
    assert isinstance(result, SensorResult) and len(result.run_requests) == 1


def test_database_away_abandons_the_tick_with_a_skip_and_logs_the_outage_once(
    jobsched_db: sa.Engine, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobsched.outage import OUTAGE

    add_due_schedule(jobsched_db)
    monkeypatch.setattr(OUTAGE, "since", None)
    monkeypatch.setattr(OUTAGE, "lines", [])
    monkeypatch.setattr(OUTAGE, "path", None)
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/away")
    skips = [evaluate(instance) for _ in range(3)]  # connection refused, for real
    assert all(isinstance(s, SkipReason) and "database unavailable" in (s.skip_message or "") for s in skips)
    assert len(OUTAGE.lines) == 1 and "unreachable since" in OUTAGE.lines[0]
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", str(jobsched_db.url))
    result = evaluate(instance)
    assert isinstance(result, SensorResult) and len(result.run_requests) == 1  # the fire was not lost
    assert "reachable again" in OUTAGE.lines[-1]
    assert result.run_requests[0].tags["dagster/max_runtime"] == "3600"
    with jobsched_db.connect() as conn:
        errors = conn.execute(sa.text("SELECT count(*) FROM schedule_state WHERE error IS NOT NULL"))
        assert errors.scalar() == 0


def test_tick_text_names_what_was_skipped_and_quarantined(jobsched_db: sa.Engine, instance) -> None:
    add_due_schedule(jobsched_db, name="paused-row", paused="1", pause_reason="vendor migration")
    add_due_schedule(jobsched_db, name="bad-zone", timezone="Mars/Base")
    result = evaluate(instance)
    assert isinstance(result, SkipReason)
    text = result.skip_message or ""
    assert "skipped 1: paused-row (paused)" in text
    assert "quarantined 1: bad-zone: " in text and "Mars/Base" in text


def test_claimed_fire_without_a_business_date_is_skipped_and_the_tick_goes_on(
    jobsched_db: sa.Engine, instance
) -> None:
    """A ledger row without a business date (hand-written SQL, an older version) cannot be configured as a
    run: it becomes a `no_business_date` skip, and the tick still requests the other fires."""
    good = add_due_schedule(jobsched_db, "good")
    other = add_due_schedule(jobsched_db, "undated", watermark=utc_now() + timedelta(days=1))
    fire_at = utc_now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    with jobsched_db.begin() as conn:
        entry_id = ledger.add_pending(
            conn, other, "demo_echo", Candidate(fire_at=fire_at, business_date=fire_at.date()), Trigger.MANUAL
        )
        conn.execute(sa.text("UPDATE fire_ledger SET business_date = NULL WHERE id = :i"), {"i": entry_id})
    result = evaluate(instance)
    assert isinstance(result, SensorResult)
    (request,) = result.run_requests
    assert request.tags["jobsched/schedule"] == str(good)
    with jobsched_db.connect() as conn:
        status, reason, detail = conn.execute(
            sa.text("SELECT status, reason, detail FROM fire_ledger WHERE id = :i"), {"i": entry_id}
        ).one()
    assert (status, reason) == ("skipped", "no_business_date")
    assert "no business date" in detail


def test_burst_over_the_budget_continues_in_the_next_tick_without_one(
    jobsched_db: sa.Engine, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first tick of a burst returns its first chunk and sets the cursor; the next one claims the rest."""
    from jobsched.defs.sensors import InstanceRunLookup
    from jobsched.engine import BURST_CHUNK, tick

    for i in range(120):
        add_due_schedule(jobsched_db, f"burst{i}")
    # planned once just before this minute's fire, as a running engine would have: the rows are plain due
    minute = utc_now().replace(second=0, microsecond=0)
    assert not tick(jobsched_db, minute - timedelta(milliseconds=500), InstanceRunLookup(instance)).requests
    monkeypatch.setenv("JOBSCHED_TICK_BUDGET_SECONDS", "0.000001")
    sensor = defs.get_sensor_def(ENGINE_SENSOR)
    context = build_sensor_context(instance=instance, definitions=defs, resources=build_resources())
    first = sensor(context)
    assert isinstance(first, SensorResult) and len(first.run_requests) == BURST_CHUNK
    assert context.cursor == "continue"
    context = build_sensor_context(
        instance=instance, definitions=defs, resources=build_resources(), cursor=context.cursor
    )
    rest = sensor(context)
    assert isinstance(rest, SensorResult) and len(rest.run_requests) == 120 - BURST_CHUNK
    assert context.cursor is None
    keys = {r.run_key for r in first.run_requests + rest.run_requests}
    assert len(keys) == 120
