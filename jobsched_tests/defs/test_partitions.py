"""Business-date partitions and the deadline check, through the real sensors and a real Dagster instance."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import sqlalchemy as sa

from jobsched.defs.definitions import defs
from jobsched.defs.freshness import SENSOR
from jobsched.defs.jobs import build_assets, build_checks
from jobsched.defs.partitions import BUSINESS_DATES, jobs_partitions_name, partition_tags
from jobsched.defs.resources import build_resources
from jobsched.store.rows import utc_now
from jobsched_tests.defs.test_sensors import add_due_schedule, evaluate, instance, jobsched_db  # noqa: F401

ASSET = dg.AssetKey(["warehouse", "demo_echo_log"])
CHECK = dg.AssetCheckKey(ASSET, "deadline_met")


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
    context = dg.build_sensor_context(
        instance=inst, definitions=defs, cursor=cursor, resources=build_resources()
    )
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


def test_the_deadline_check_executed_for_a_partition_evaluates_it(jobsched_db: sa.Engine, instance) -> None:  # noqa: F811
    """What the UI's "Execute check" on a partition runs."""
    with jobsched_db.begin() as conn:
        conn.execute(sa.text("UPDATE job_definitions SET deadline = '00:00' WHERE job_key = 'demo_echo'"))
    add_due_schedule(jobsched_db)
    check_job = dg.define_asset_job("deadline_only", selection=dg.AssetSelection.checks(CHECK))
    checks = dg.Definitions(
        assets=build_assets(), asset_checks=build_checks(), jobs=[check_job], resources=build_resources()
    )
    day = date(2026, 11, 23)
    result = checks.resolve_job_def("deadline_only").execute_in_process(
        instance=instance, tags=partition_tags("demo_echo", day)
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.partition == "2026-11-23|demo_echo"
    assert evaluation.description == (
        "demo_echo for 2026-11-23 (deadline 00:00: 2026-11-23T00:00:00+00:00): missed, no successful load"
    )
