"""defs/jobs.py: one job per adapter, run config that Dagster accepts, config errors that fail clearly."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsched.adapters import all_adapters
from jobsched.adapters.seed_examples import EXAMPLE_JOB_DEFINITIONS
from jobsched.defs import partitions
from jobsched.defs.jobs import BATCH_CHECK, asset_key, build_assets, build_jobs, op_name, run_config
from jobsched.domain.model import Candidate, FireStatus
from jobsched.engine import MAX_ATTEMPTS
from jobsched.samples.payloads import ecb_daily_xml
from jobsched.store.ledger import claim_fire, record_outcome, reopen_for_rerun, rerun_candidates
from jobsched.store.schema import job_definitions

BD = date(2026, 11, 20)
NODE = op_name("demo_echo")


def test_one_job_per_adapter_named_by_its_key(defs: dg.Definitions) -> None:
    assert sorted(job.name for job in build_jobs()) == sorted(all_adapters())
    for key, adapter in all_adapters().items():
        job = defs.resolve_job_def(key)
        assert job.tags["jobsched/adapter"] == key
        assert op_name(key) in {node.name for node in job.nodes}
        assert set(job.asset_layer.selected_asset_keys) == {asset_key(adapter.table.name)}


def test_assets_show_source_lineage() -> None:
    specs = {a.key.to_user_string(): a for a in build_assets() if isinstance(a, dg.AssetSpec)}
    assets = {
        k.to_user_string(): a for a in build_assets() if isinstance(a, dg.AssetsDefinition) for k in a.keys
    }
    assert {"internal_trades", "broker_trade_files", "exchange_bhavcopy"} <= set(specs)
    recon = assets["warehouse/trade_breaks"]
    deps = {d.to_user_string() for d in recon.asset_deps[asset_key("trade_breaks")]}
    assert deps == {"internal_trades", "broker_trade_files"}


@pytest.mark.parametrize("with_params", [False, True])
def test_run_config_is_valid_for_every_job(defs: dg.Definitions, with_params: bool) -> None:
    examples = {job["adapter"]: job["params"] for job in reversed(EXAMPLE_JOB_DEFINITIONS)}
    for key in all_adapters():
        params = examples[key] if with_params else None
        config = run_config(key, f"{key}_job", BD, params)
        assert config["ops"][op_name(key)]["config"]["business_date"] == "2026-11-20"
        assert ("params" in config["ops"][op_name(key)]["config"]) == with_params
        assert dg.validate_run_config(defs.resolve_job_def(key), config)
    params = {"url": "http://h/{date:%Y}", "series": ("EQ",)}
    json.dumps(run_config("eod_prices", "x", BD, params))  # usable with --config-json


def launch(defs: dg.Definitions, instance: dg.DagsterInstance, config: dict, tags: dict | None = None):
    return defs.resolve_job_def("demo_echo").execute_in_process(
        run_config=config, instance=instance, tags=tags or {}, raise_on_error=False
    )


def error_of(result: dg.ExecuteInProcessResult) -> str:
    return result.failure_data_for_node(NODE).error.message  # type: ignore[union-attr]


def test_business_date_comes_from_config_or_tag(defs, instance, jobsched_env) -> None:
    config = {"ops": {NODE: {"config": {"job_key": "e", "params": {}}}}}
    assert "business_date: missing" in error_of(launch(defs, instance, config))
    assert launch(defs, instance, config, {"jobsched/business_date": "2026-11-20"}).success
    config["ops"][NODE]["config"]["business_date"] = "20/11/2026"
    assert "business_date='20/11/2026': not an ISO date" in error_of(launch(defs, instance, config))


def test_a_job_definition_of_another_adapter_is_refused(defs, instance, jobsched_db) -> None:
    with jobsched_db.begin() as conn:
        conn.execute(sa.insert(job_definitions).values(job_key="prices", adapter="eod_prices", params="{}"))
    result = launch(defs, instance, run_config("demo_echo", "prices", BD, None))
    assert "job_key='prices': its job definition uses adapter 'eod_prices', not 'demo_echo'" in error_of(
        result
    )


def test_an_unknown_job_key_fails_naming_it(defs, instance, jobsched_env) -> None:
    job = defs.resolve_job_def("eod_prices")
    result = job.execute_in_process(
        run_config=run_config("eod_prices", "nowhere", BD, None), instance=instance, raise_on_error=False
    )
    message = result.failure_data_for_node(op_name("eod_prices")).error.message  # type: ignore[union-attr]
    assert "job_key='nowhere': no job definition with this key" in message


def test_the_guard_also_stops_a_real_adapter_before_it_reads(defs, instance, jobsched_db, src, warehouse):
    fire = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    with jobsched_db.begin() as conn:
        claim_fire(conn, 3, "prices", Candidate(fire_at=fire, business_date=BD), fire)
    tags = {
        "jobsched/schedule": "3",
        "jobsched/fire_time": fire.isoformat(),
        "jobsched/business_date": "2026-11-20",
    }
    config = run_config("eod_prices", "prices", BD, {"url": src.url + "/eod/bhavcopy/{date:%Y%m%d}.csv"})
    job = defs.resolve_job_def("eod_prices")
    first = job.execute_in_process(run_config=config, instance=instance, tags=tags)
    hits = src.hits("/eod/")
    second = job.execute_in_process(run_config=config, instance=instance, tags=tags)
    assert first.success and second.success and hits == 1
    assert src.hits("/eod/") == 1  # the second run never touched the source
    assert len(first.asset_materializations_for_node(op_name("eod_prices"))) == 1
    assert second.asset_materializations_for_node(op_name("eod_prices")) == []


def test_a_fire_missing_from_the_ledger_does_no_work(defs, instance, jobsched_env, warehouse) -> None:
    tags = {"jobsched/schedule": "99", "jobsched/fire_time": "2026-11-23T14:30:00+00:00"}
    result = launch(defs, instance, run_config("demo_echo", "e", BD, {}), tags)
    assert result.success and result.asset_materializations_for_node(NODE) == []
    messages = [e.message for e in instance.all_logs(result.run_id)]
    assert any("is not in the ledger" in (m or "") for m in messages)


def test_a_partition_run_loads_its_cell_and_passes_batch_valid(
    defs, instance, jobsched_db, warehouse
) -> None:
    """A partition launched with no run config (as from the Dagster UI) takes job and date from its key."""
    with jobsched_db.begin() as conn:
        conn.execute(sa.insert(job_definitions).values(job_key="echo_a", adapter="demo_echo", params="{}"))
    partitions.ensure(instance, "demo_echo", "echo_a", BD)
    key = partitions.partition_key("echo_a", BD)
    assert str(key) == "2026-11-20|echo_a"
    result = defs.resolve_job_def("demo_echo").execute_in_process(instance=instance, partition_key=str(key))
    assert result.success
    (materialization,) = result.asset_materializations_for_node(NODE)
    assert materialization.partition == "2026-11-20|echo_a"
    assert materialization.metadata["job_key"].value == "echo_a"
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == BATCH_CHECK and check.passed and check.partition == "2026-11-20|echo_a"
    assert check.metadata["rows_read"].value == 1
    with warehouse.connect() as conn:
        loaded = conn.execute(sa.text("SELECT job_key, business_date FROM demo_echo_log")).all()
    assert [(k, str(d)) for k, d in loaded] == [("echo_a", "2026-11-20")]


def test_a_rejected_batch_fails_batch_valid_naming_column_row_and_value(
    defs, instance, jobsched_db, src
) -> None:
    url = src.url + "/ecb/eurofxref-daily.xml?date={date:%Y-%m-%d}"
    with jobsched_db.begin() as conn:
        conn.execute(
            sa.insert(job_definitions).values(
                job_key="ecb", adapter="fx_rates", params=json.dumps({"url": url, "backoff_seconds": 0.01})
            )
        )
    src.override("/ecb/eurofxref-daily.xml", ecb_daily_xml(BD).replace("rate='", "rate='-", 1))
    partitions.ensure(instance, "fx_rates", "ecb", BD)
    job = defs.resolve_job_def("fx_rates")
    result = job.execute_in_process(
        instance=instance, partition_key=str(partitions.partition_key("ecb", BD)), raise_on_error=False
    )
    assert not result.success
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == BATCH_CHECK and not check.passed
    assert re.match(
        r"column 'rate' row 1: value '-[0-9.]+' is not a valid number >= 0", check.description or ""
    )
    assert result.asset_materializations_for_node(op_name("fx_rates")) == []


def _first_run_of_a_fire(
    defs, instance, jobsched_db, schedule_id: int, job_key: str, fire: datetime
) -> tuple[dg.ExecuteInProcessResult, dict[str, str], dict]:
    """A claimed fire of demo_echo and its first run, which loads (and writes the fire's receipt)."""
    with jobsched_db.begin() as conn:
        claim_fire(conn, schedule_id, job_key, Candidate(fire_at=fire, business_date=BD), fire)
    tags = {
        "jobsched/schedule": str(schedule_id),
        "jobsched/fire_time": fire.isoformat(),
        "jobsched/business_date": BD.isoformat(),
    }
    config = run_config("demo_echo", job_key, BD, {})
    first = launch(defs, instance, config, tags)
    assert first.success
    return first, tags, config


def _executions(warehouse: sa.Engine) -> list[str]:
    with warehouse.connect() as conn:
        return list(conn.execute(sa.text("SELECT run_id FROM demo_echo_executions")).scalars().all())


def test_a_retry_after_a_worker_died_past_the_commit_does_not_load_twice(
    defs, instance, jobsched_db, warehouse
) -> None:
    """The load committed (with the fire's receipt), then the worker died before the run could succeed:
    Dagster marks the run failed and retries it. The retry takes the fire over and finds the receipt, so the
    fire is executed (and counted) once."""
    fire = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    first, tags, config = _first_run_of_a_fire(defs, instance, jobsched_db, 4, "echo_r", fire)
    instance.report_run_failed(instance.get_run_by_id(first.run_id))  # as run monitoring does
    retry_tags = {**tags, "dagster/parent_run_id": first.run_id, "dagster/root_run_id": first.run_id}
    retry = launch(defs, instance, config, retry_tags)
    assert retry.success
    assert _executions(warehouse) == [first.run_id]
    (materialization,) = retry.asset_materializations_for_node(NODE)
    assert materialization.metadata["loaded_by_run"].value == first.run_id


def test_a_jobsched_rerun_after_a_worker_died_past_the_commit_does_not_load_twice(
    defs, instance, jobsched_db, warehouse
) -> None:
    """As above, but Dagster's run retry gave up (code location unreachable at that moment), so the engine
    re-runs the fire under a new run_key, without a parent run: the receipt still stops a second load."""
    fire = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    first, tags, config = _first_run_of_a_fire(defs, instance, jobsched_db, 5, "echo_j", fire)
    instance.report_run_failed(instance.get_run_by_id(first.run_id))  # as run monitoring does
    record_outcome(jobsched_db, 5, fire, first.run_id, FireStatus.FAILURE, "worker died; not re-run")
    later = fire + timedelta(minutes=5)
    with jobsched_db.begin() as conn:
        (entry,) = rerun_candidates(conn, later, MAX_ATTEMPTS)
        assert reopen_for_rerun(conn, entry, later)
    rerun = launch(defs, instance, config, tags)
    assert rerun.success
    assert _executions(warehouse) == [first.run_id]
    (materialization,) = rerun.asset_materializations_for_node(NODE)
    assert materialization.metadata["loaded_by_run"].value == first.run_id


def test_a_reexecution_of_a_successful_run_loads_again(defs, instance, jobsched_db, warehouse) -> None:
    """A receipt of a run that succeeded: re-executing it (a deliberate reload from the UI) loads."""
    fire = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    first, tags, config = _first_run_of_a_fire(defs, instance, jobsched_db, 6, "echo_s", fire)
    again = launch(defs, instance, config, {**tags, "dagster/parent_run_id": first.run_id})
    assert again.success
    assert sorted(_executions(warehouse)) == sorted([first.run_id, again.run_id])
