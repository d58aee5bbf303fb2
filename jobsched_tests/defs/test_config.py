"""Typed adapter config (defs/config.py): each adapter's job takes its own parameters as typed run config,
Dagster refuses a wrong type or an unknown parameter at launch, and the engine's RunRequests always pass."""

# No `from __future__ import annotations`: Dagster reads the annotation of the local op below.

import enum
from datetime import UTC, date, datetime
from typing import Any, Literal

import dagster as dg
import pytest
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from jobsched.adapters import all_adapters
from jobsched.adapters.errors import InvalidParams
from jobsched.adapters.registry import validate_params
from jobsched.adapters.seed_examples import EXAMPLE_JOB_DEFINITIONS
from jobsched.defs.config import config_params, config_type, params_config
from jobsched.defs.definitions import defs
from jobsched.defs.jobs import op_name, run_config
from jobsched.defs.sensors import run_request
from jobsched.engine import FireRequest
from jobsched.store.repository import JobDefinition
from jobsched_tests.defs.test_sensors import add_due_schedule, evaluate, instance, jobsched_db  # noqa: F401

BD = date(2026, 11, 20)
EXAMPLES = {job["adapter"]: job["params"] for job in reversed(EXAMPLE_JOB_DEFINITIONS)}


def _name(config_type: Any) -> str:
    """A config type as the launchpad spells it: Int, Float, String, [String], {...} for nested config."""
    if str(config_type.key).startswith("Noneable."):
        config_type = config_type.inner_type
    key = str(config_type.key)
    if key.startswith("Array."):
        return f"[{_name(config_type.inner_type)}]"
    if key.startswith("Shape."):
        return "{" + ", ".join(sorted(config_type.fields)) + "}"
    return {"StringSourceType": "String", "IntSourceType": "Int", "BoolSourceType": "Bool"}.get(key, key)


def params_schema(adapter_key: str) -> dict[str, tuple[str, bool]]:
    """The job's config schema of `params`: field -> (type, required)."""
    job = defs.resolve_job_def(adapter_key)
    ops = job.run_config_schema.config_type.fields["ops"].config_type
    step = ops.fields[op_name(adapter_key)].config_type.fields["config"].config_type
    params = step.fields["params"]
    assert not params.is_required and params.config_type.key.startswith("Noneable.")
    inner = params.config_type.inner_type
    return {name: (_name(f.config_type), f.is_required) for name, f in inner.fields.items()}


def step_config(adapter_key: str, **config: Any) -> dict[str, Any]:
    return {"ops": {op_name(adapter_key): {"config": config}}}


def test_each_job_shows_its_adapters_parameters_with_their_types() -> None:
    fx = params_schema("fx_rates")
    assert set(fx) == set(all_adapters()["fx_rates"].Params.model_fields)
    assert fx["url"] == ("String", True)
    assert fx["retries"] == ("Int", False) and fx["timeout_seconds"] == ("Float", False)
    assert fx["currencies"] == ("[String]", False) and fx["base_currency"] == ("String", False)

    housekeeping = params_schema("housekeeping")
    assert housekeeping == {
        "ledger_days": ("Int", False),
        "snapshot_days": ("Int", False),
        "snapshot_tables": ("[String]", False),
        "batch_rows": ("Int", False),
    }
    bank = params_schema("bank_statements")
    assert bank["iban"] == ("String", True)
    assert bank["sftp"][0].startswith("{") and "host" in bank["sftp"][0]  # nested config
    assert params_schema("demo_echo") == {"message": ("String", False)}


def test_descriptions_and_defaults_come_from_the_model() -> None:
    job = defs.resolve_job_def("housekeeping")
    resolved = dg.validate_run_config(job, step_config("housekeeping", params={"ledger_days": 7}))
    params = resolved["ops"][op_name("housekeeping")]["config"]["params"]
    assert params == {
        "ledger_days": 7,
        "snapshot_days": 30,
        "snapshot_tables": ["instruments"],
        "batch_rows": 10_000,
    }
    fields = params_config(all_adapters()["housekeeping"].Params).to_fields_dict()
    assert fields["batch_rows"].description == "rows per delete transaction"


@pytest.mark.parametrize(
    ("adapter_key", "params", "names"),
    [
        ("fx_rates", {"url": "http://h/x", "retries": "many"}, ["params:retries", 'Value "many"', '"Int"']),
        ("fx_rates", {"url": "http://h/x", "currency": "USD"}, ['unexpected config entry "currency"']),
        ("fx_rates", {"retries": 3}, ['Missing required config entry "url"']),
        ("housekeeping", {"batch_rows": 1.5}, ["params:batch_rows", '"Int"']),
        ("housekeeping", {"snapshot_tables": "instruments"}, ["params:snapshot_tables"]),
        ("demo_echo", {"message": 5}, ["params:message", '"String"']),
        ("bank_statements", {"iban": "DE89370400440532013000", "sftp": {"hostname": "h"}}, ["hostname"]),
    ],
)
def test_a_wrong_type_or_unknown_parameter_is_refused_at_launch_naming_it(
    adapter_key: str, params: dict[str, Any], names: list[str]
) -> None:
    job = defs.resolve_job_def(adapter_key)
    config = step_config(adapter_key, job_key="k", business_date="2026-11-20", params=params)
    with pytest.raises(dg.DagsterInvalidConfigError) as refused:
        dg.validate_run_config(job, config)
    for name in names:
        assert name in str(refused.value)
    with pytest.raises(dg.DagsterInvalidConfigError):  # before any step runs
        job.execute_in_process(run_config=config, raise_on_error=False)


def test_params_left_out_are_still_optional() -> None:
    for key in ("fx_rates", "housekeeping", "demo_echo"):
        resolved = dg.validate_run_config(defs.resolve_job_def(key), step_config(key, job_key="k"))
        assert resolved["ops"][op_name(key)]["config"]["params"] is None


def laxer(adapter_key: str, params: dict[str, Any]) -> dict[str, Any]:
    """The same params as SQL might write them: numbers as strings, ints for floats, tuples as lists."""
    fields = all_adapters()[adapter_key].Params.model_fields
    lax = dict(params)
    for name, field in fields.items():
        if field.annotation is float and not field.is_required():
            lax[name] = int(field.default) if float(field.default).is_integer() else str(field.default)
        elif field.annotation is int and not field.is_required():
            lax[name] = str(field.default)
    return lax


@pytest.mark.parametrize("adapter_key", sorted(EXAMPLES))
def test_params_the_model_accepts_always_pass_dagsters_check(adapter_key: str) -> None:
    job = defs.resolve_job_def(adapter_key)
    for params in (EXAMPLES[adapter_key], laxer(adapter_key, EXAMPLES[adapter_key])):
        config = run_config(adapter_key, "k", BD, params)
        resolved = dg.validate_run_config(job, config)
        given = resolved["ops"][op_name(adapter_key)]["config"]["params"]
        # what reaches the step is what the model made of the row
        assert validate_params(adapter_key, given) == validate_params(adapter_key, params)


def test_run_config_refuses_params_the_model_refuses() -> None:
    with pytest.raises(InvalidParams, match=r"batch_rows=0"):
        run_config("housekeeping", "k", BD, {"batch_rows": 0})
    assert config_params("housekeeping", {"batch_rows": "7"}) == {"batch_rows": 7}  # only what was given


def test_a_row_dagster_would_refuse_is_quarantined_and_a_lax_row_fires_with_typed_params(
    jobsched_db: sa.Engine,  # noqa: F811
    instance: dg.DagsterInstance,  # noqa: F811
) -> None:
    """Params stored by SQL: the engine validates every job definition with the adapter's model, so a row
    with a wrong type never reaches a RunRequest (its schedules are quarantined), and a row the model
    accepts in a lax form ("7" for an int) is requested in the form the typed config takes."""
    add_job = "INSERT INTO job_definitions (job_key, adapter, params) VALUES (:key, :adapter, :params)"
    with jobsched_db.begin() as conn:
        conn.execute(sa.text(add_job), {"key": "echo5", "adapter": "demo_echo", "params": '{"message": 5}'})
        lax = '{"ledger_days": "7", "snapshot_tables": ["instruments"]}'
        conn.execute(sa.text(add_job), {"key": "hk", "adapter": "housekeeping", "params": lax})
    bad = add_due_schedule(jobsched_db, "bad", job_key="echo5")  # message=5 is not a string
    add_due_schedule(jobsched_db, "good", job_key="hk")
    result = evaluate(instance)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    assert request.job_name == "housekeeping"
    resolved = dg.validate_run_config(defs.resolve_job_def("housekeeping"), request.run_config)
    assert resolved["ops"][op_name("housekeeping")]["config"]["params"]["ledger_days"] == 7
    with jobsched_db.connect() as conn:
        error = conn.execute(
            sa.text("SELECT error FROM schedule_state WHERE schedule_id = :s"), {"s": bad}
        ).scalar()
    assert error and "message=5" in error


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    depth: int = 1


class Exotic(BaseModel):
    """Every kind of field a params model may have."""

    model_config = ConfigDict(extra="forbid")
    day: date = Field(date(2026, 1, 2), description="a date: Dagster config has none")
    colour: Colour = Colour.RED
    mode: Literal["fast", "slow"] = "fast"
    weights: dict[str, float] = Field(default_factory=dict)
    pair: tuple[int, int] = (1, 2)
    names: tuple[str, ...] = ("a",)
    either: int | str = 0
    inner: Inner | None = None
    items: list[Inner] = Field(default_factory=list)


def test_a_type_dagster_config_cannot_express_falls_back_to_any_for_that_field_only() -> None:
    annotations = {name: config_type(f.annotation) for name, f in Exotic.model_fields.items()}
    assert annotations["day"] is Any and annotations["pair"] is Any and annotations["either"] is Any
    assert annotations["colour"] is str and annotations["mode"] is str  # Dagster: the type; the model: which
    assert annotations["weights"] == dict[str, float] and annotations["names"] == list[str]
    mirror = params_config(Exotic)

    @dg.op
    def step(config: mirror) -> None:  # type: ignore[valid-type]
        pass

    @dg.job
    def exotic() -> None:
        step()

    model = Exotic(day=date(2026, 5, 6), colour=Colour.BLUE, weights={"a": 1}, inner=Inner(), items=[Inner()])
    dumped = model.model_dump(mode="json", exclude_unset=True)
    resolved = dg.validate_run_config(exotic, {"ops": {"step": {"config": dumped}}})
    assert Exotic.model_validate(resolved["ops"]["step"]["config"]) == model
    with pytest.raises(dg.DagsterInvalidConfigError, match="names"):
        dg.validate_run_config(exotic, {"ops": {"step": {"config": {"names": "a"}}}})


def test_a_request_whose_params_the_model_refuses_leaves_them_to_the_row() -> None:
    """Never the engine's case (it quarantines such rows), but a RunRequest must not carry them anyway."""
    fire_at = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    job = JobDefinition(job_key="echo5", adapter="demo_echo", params={"message": 5})
    request = FireRequest(1, "s", fire_at, BD, job, "schedule", "jobsched:1:x")
    config = run_request(request).run_config["ops"][op_name("demo_echo")]["config"]
    assert config == {"job_key": "echo5", "business_date": "2026-11-20"}
    dg.validate_run_config(defs.resolve_job_def("demo_echo"), run_request(request).run_config)
