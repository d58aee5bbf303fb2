"""demo_echo through Dagster: idempotent log, one execution row per run, the fire guard, params from rows."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsched.adapters import InvalidParams
from jobsched.adapters.demo_echo import demo_echo_executions, demo_echo_log
from jobsched.defs.jobs import op_name, run_config
from jobsched.domain.model import Candidate
from jobsched.store.ledger import claim_fire
from jobsched.store.schema import fire_ledger, job_definitions

BD = date(2026, 11, 20)
NODE = op_name("demo_echo")  # the asset's step
FIRE = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


def _rows(engine: sa.Engine, table: sa.Table) -> list[sa.RowMapping]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table)).mappings())


def _launch(defs: dg.Definitions, instance: dg.DagsterInstance, params: dict | None, **tags: str):
    job = defs.resolve_job_def("demo_echo")
    return job.execute_in_process(
        run_config=run_config("demo_echo", "echo_a", BD, params),
        instance=instance,
        tags=tags,
        raise_on_error=False,
    )


def test_rerun_replaces_log_and_appends_executions(defs, instance, warehouse) -> None:
    first = _launch(defs, instance, {"message": "one"})
    second = _launch(defs, instance, {"message": "two"})
    assert first.success and second.success
    log = _rows(warehouse, demo_echo_log)
    assert [(r["job_key"], r["business_date"], r["message"]) for r in log] == [("echo_a", BD, "two")]
    runs = [r["run_id"] for r in _rows(warehouse, demo_echo_executions)]
    assert runs == [first.run_id, second.run_id]
    metadata = second.asset_materializations_for_node(NODE)[0].metadata
    assert metadata["rows_loaded"].value == 1 and metadata["business_date"].value == "2026-11-20"
    assert metadata["rows_read"].value == 1 and metadata["source"].value


def test_fire_guard_lets_one_run_execute_a_fire(defs, instance, jobsched_db, warehouse) -> None:
    with jobsched_db.begin() as conn:
        claim_fire(conn, 7, "echo_a", Candidate(fire_at=FIRE, business_date=BD), FIRE)
    tags = {"jobsched/schedule": "7", "jobsched/fire_time": FIRE.isoformat()}
    winner = _launch(defs, instance, {}, **tags)
    loser = _launch(defs, instance, {}, **tags)
    assert winner.success and loser.success  # the loser stops quietly
    assert loser.asset_materializations_for_node(NODE) == []
    executions = _rows(warehouse, demo_echo_executions)
    assert [(r["run_id"], r["fire_time"]) for r in executions] == [(winner.run_id, FIRE.isoformat())]
    with jobsched_db.connect() as conn:
        entry = conn.execute(sa.select(fire_ledger)).mappings().one()
    assert entry["status"] == "running" and entry["run_id"] == winner.run_id
    logs = [e.message for e in instance.all_logs(loser.run_id) if "fire guard" in (e.message or "")]
    assert logs and winner.run_id in logs[0]


def test_run_without_fire_tags_always_runs(defs, instance, warehouse) -> None:
    assert _launch(defs, instance, {}).success
    assert _launch(defs, instance, {}).success
    assert len(_rows(warehouse, demo_echo_executions)) == 2


def test_params_come_from_the_job_definition_row_when_omitted(defs, instance, jobsched_db, warehouse) -> None:
    with jobsched_db.begin() as conn:
        conn.execute(
            sa.insert(job_definitions).values(
                job_key="echo_a", adapter="demo_echo", params=json.dumps({"message": "from row"})
            )
        )
    assert _launch(defs, instance, None).success
    assert [r["message"] for r in _rows(warehouse, demo_echo_log)] == ["from row"]


@pytest.mark.parametrize(
    ("params", "expected", "dagster_says"),
    [
        ({"message": 5}, "message=5", 'params:message. Value "5"'),
        ({"mesage": "typo"}, "mesage='typo': unknown parameter", 'unexpected config entry "mesage"'),
    ],
)
def test_bad_params_fail_without_retry_naming_field_and_value(
    defs, instance, jobsched_db, params, expected, dagster_says
) -> None:
    # in the run config: refused at launch, by the adapter's model (run_config) and by Dagster's typed config
    with pytest.raises(InvalidParams, match=re.escape(expected)):
        run_config("demo_echo", "echo_a", BD, params)
    raw = {
        "ops": {NODE: {"config": {"job_key": "echo_a", "business_date": BD.isoformat(), "params": params}}}
    }
    with pytest.raises(dg.DagsterInvalidConfigError, match=re.escape(dagster_says)):
        defs.resolve_job_def("demo_echo").execute_in_process(run_config=raw, instance=instance)
    # in the row (written by SQL): the step fails naming field and value, and is not retried
    with jobsched_db.begin() as conn:
        row = {"job_key": "echo_a", "adapter": "demo_echo", "params": json.dumps(params)}
        conn.execute(sa.insert(job_definitions).values(**row))
    result = _launch(defs, instance, None)
    assert not result.success
    failure = result.failure_data_for_node(NODE)
    assert expected in failure.error.message
    events = [e.dagster_event for e in instance.all_logs(result.run_id) if e.dagster_event]
    assert not [e for e in events if e.is_step_up_for_retry]
