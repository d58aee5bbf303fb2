"""Business-date partitions and the deadline check, through the real sensors and a real Dagster instance."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import sqlalchemy as sa

from jobsched.defs.definitions import defs
from jobsched.defs.freshness import SENSOR
from jobsched.defs.partitions import BUSINESS_DATES, jobs_partitions_name
from jobsched.store.rows import utc_now
from jobsched_tests.defs.test_sensors import add_due_schedule, evaluate, instance, jobsched_db  # noqa: F401

ASSET = dg.AssetKey(["warehouse", "demo_echo_log"])


def test_a_fire_targets_its_business_date_and_job_partition(jobsched_db: sa.Engine, instance) -> None:  # noqa: F811
    add_due_schedule(jobsched_db)
    result = evaluate(instance)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    day = request.tags["jobsched/business_date"]
    assert request.partition_key == f"{day}|demo_echo"
    added = {r.partitions_def_name: list(r.partition_keys) for r in result.dynamic_partitions_requests}
    assert added == {BUSINESS_DATES: [day], jobs_partitions_name("demo_echo"): ["demo_echo"]}


def freshness(inst: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=inst, definitions=defs, cursor=cursor)
    result = defs.get_sensor_def(SENSOR)(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_a_missed_deadline_is_a_failed_check_on_its_partition_once(jobsched_db: sa.Engine, instance) -> None:  # noqa: F811
    with jobsched_db.begin() as conn:
        conn.execute(sa.text("UPDATE job_definitions SET deadline = '00:00' WHERE job_key = 'demo_echo'"))
    add_due_schedule(jobsched_db, start_at=datetime(2026, 1, 1, tzinfo=UTC).isoformat())
    today = utc_now().date().isoformat()
    result = freshness(instance)
    (event,) = result.asset_events
    assert isinstance(event, dg.AssetCheckEvaluation)
    assert (event.asset_key, event.check_name, event.passed) == (ASSET, "deadline_met", False)
    assert event.partition == f"{today}|demo_echo"
    assert "missed, no successful load" in (event.description or "")
    assert instance.has_dynamic_partition(BUSINESS_DATES, today)
    for asset_event in result.asset_events:  # what the daemon does with them
        instance.report_runless_asset_event(asset_event)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(ASSET, "deadline_met")]
    )
    assert not record[dg.AssetCheckKey(ASSET, "deadline_met")].evaluation.passed  # type: ignore[union-attr]

    again = freshness(instance, result.cursor)  # unchanged: nothing recorded twice
    assert list(again.asset_events) == []
    with jobsched_db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO fire_ledger (schedule_id, fire_at, due_at, business_date, job_key, status) "
                "VALUES (1, :t, :t, :d, 'demo_echo', 'success')"
            ),
            {"t": utc_now(), "d": utc_now().date()},
        )
    (met,) = freshness(instance, again.cursor).asset_events
    assert met.passed and met.partition == f"{today}|demo_echo"  # type: ignore[union-attr]
