"""One Dagster job per registered adapter (job name == adapter key), asset-based when it loads a table.

The run's first act is the fire guard: a scheduled run (tags jobsched/schedule + jobsched/fire_time)
confirms its fire in the ledger and stops without work when another run holds that fire.
"""
# No `from __future__ import annotations`: Dagster inspects the context annotations at runtime.

import contextlib
import uuid
import warnings
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster import AssetExecutionContext, OpExecutionContext
from sqlalchemy.engine import make_url

from jobsched import adapters, settings
from jobsched.adapters.base import Adapter, RunContext
from jobsched.adapters.errors import AdapterConfigError, AdapterError, BatchRejected
from jobsched.adapters.registry import all_adapters, validate_params
from jobsched.adapters.runner import RunReport, run_adapter
from jobsched.adapters.warehouse import fire_receipt
from jobsched.defs import partitions
from jobsched.defs.config import AdapterRunConfig, config_params, run_config_class
from jobsched.defs.resources import JobschedDatabase, Warehouse
from jobsched.tags import TAG_ADAPTER, TAG_BUSINESS_DATE, TAG_FIRE_TIME, TAG_JOB, TAG_SCHEDULE

# One per run-worker process: two launches of the same run (two daemons' run queues) are told apart, while
# a step retry inside the same process (in-process executor) still holds its fire.
EXECUTION_TOKEN = uuid.uuid4().hex[:16]

BATCH_CHECK = "batch_valid"
DEADLINE_CHECK = "deadline_met"


def retry_policy() -> dg.RetryPolicy:
    """Backoff retries of the adapter step; JOBSCHED_ADAPTER_MAX_RETRIES / _RETRY_DELAY tune it (tests)."""
    config = settings.current()
    return dg.RetryPolicy(
        max_retries=config.adapter_max_retries,
        delay=config.adapter_retry_delay,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def op_name(adapter_key: str) -> str:
    """Name of the step that takes the adapter config (the asset's op for table adapters)."""
    table = getattr(adapters.get_adapter(adapter_key), "table", None)
    return asset_key(table.name).to_python_identifier() if table is not None else adapter_key


def asset_key(table_name: str) -> dg.AssetKey:
    """Warehouse tables live under the `warehouse` prefix, so an asset's op never shares the name of its
    job (the job is named after the adapter, which often loads the table of the same name)."""
    return dg.AssetKey(["warehouse", table_name])


def run_config(
    adapter_key: str, job_key: str, business_date: date, params: Mapping[str, Any] | None = None
) -> dict:
    """Run config for a RunRequest or `dagster job launch -j <adapter_key> --config-json ...`.

    `params`, when given, are checked by the adapter's model (InvalidParams names each bad field) and
    passed in the form its typed config takes (`config.config_params`); None leaves them to the row."""
    config: dict[str, Any] = {"job_key": job_key, "business_date": business_date.isoformat()}
    if params is not None:
        config["params"] = config_params(adapter_key, params)
    return {"ops": {op_name(adapter_key): {"config": config}}}


def build_assets() -> list[dg.AssetsDefinition | dg.AssetSpec]:
    """Assets of table adapters, plus the external sources they read (for lineage in the UI)."""
    assets: list[dg.AssetsDefinition | dg.AssetSpec] = []
    sources: dict[str, dg.AssetSpec] = {}
    for adapter in all_adapters().values():
        if getattr(adapter, "table", None) is None:
            continue
        for name in getattr(adapter, "upstream", ()):
            spec = dg.AssetSpec(key=name, group_name="sources", kinds=source_kinds(adapter))
            sources.setdefault(name, spec)
        with _partitioned_checks():
            assets.append(_asset_for(adapter))
    return [*sources.values(), *assets]


def build_checks() -> list[dg.AssetChecksDefinition]:
    """The deadline (freshness) check of every adapter asset."""
    with _partitioned_checks():
        return [deadline_check(a) for a in all_adapters().values() if getattr(a, "table", None) is not None]


@contextlib.contextmanager
def _partitioned_checks() -> Iterator[None]:
    """Partitioned asset checks are a Dagster preview feature: silence its warning (once per asset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        yield


def build_jobs() -> list[Any]:
    jobs: list[Any] = []
    for key, adapter in all_adapters().items():
        description = getattr(adapter, "description", "") or f"adapter {key}"
        tags = {TAG_ADAPTER: key}
        table = getattr(adapter, "table", None)
        if table is not None:
            jobs.append(
                dg.define_asset_job(
                    name=key,
                    selection=job_selection(asset_key(table.name)),
                    description=description,
                    tags=tags,
                    executor_def=dg.in_process_executor,
                )
            )
        else:
            jobs.append(
                dg.JobDefinition(
                    graph_def=dg.GraphDefinition(name=key, node_defs=[_op_for(adapter)]),
                    description=description,
                    tags=tags,
                    executor_def=dg.in_process_executor,
                )
            )
    return jobs


def job_selection(key: dg.AssetKey) -> dg.AssetSelection:
    """The asset and its batch check; the deadline check is evaluated by the freshness sensor instead (a
    run cannot judge its own deadline: the ledger learns of its success only after the run ends)."""
    return dg.AssetSelection.assets(key).without_checks() | dg.AssetSelection.checks(
        dg.AssetCheckKey(key, BATCH_CHECK)
    )


def source_kinds(adapter: Adapter) -> set[str]:
    """Dagster 'kinds' badges: the source kinds ('http', 'folder', 'sql', ...)."""
    return {k for k in str(getattr(adapter, "source_kind", "")).split("+") if k and k != "none"}


def warehouse_kind() -> str:
    url = settings.warehouse_url()
    return "postgres" if url.startswith("postgres") else url.split(":", 1)[0].split("+", 1)[0]


def _asset_for(adapter: Adapter) -> dg.AssetsDefinition:
    table = adapter.table  # type: ignore[attr-defined]
    key = asset_key(table.name)
    parts = partitions.partitions_def(adapter.key)
    config_class = run_config_class(adapter.key)  # the step's config schema: Dagster reads the annotation

    # a multi_asset of one asset, only for can_subset: it makes the check output optional, so a run the fire
    # guard stops (no work, no materialization) reports no check result rather than failing
    @dg.multi_asset(
        name=key.to_python_identifier(),
        specs=[
            dg.AssetSpec(
                key,
                description=getattr(adapter, "description", None),
                skippable=True,
                deps=list(getattr(adapter, "upstream", ())),
                group_name="adapters",
                metadata={"adapter": adapter.key, "table": table.name},
                kinds={"python", warehouse_kind()},
            )
        ],
        can_subset=True,
        retry_policy=retry_policy(),
        partitions_def=parts,
        check_specs=[
            dg.AssetCheckSpec(
                BATCH_CHECK,
                asset=key,
                partitions_def=parts,
                description="The source batch passed the adapter's column checks (rows counted).",
            )
        ],
    )
    def _load(
        context: AssetExecutionContext,
        config: config_class,  # type: ignore[valid-type]
        jobsched_db: JobschedDatabase,
        warehouse: Warehouse,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        try:
            report = execute_adapter(
                context.op_execution_context, adapter, config, jobsched_db.engine(), warehouse.engine()
            )
        except dg.Failure as failure:
            if isinstance(failure.__cause__, BatchRejected):
                yield dg.AssetCheckResult(
                    asset_key=key,
                    check_name=BATCH_CHECK,
                    passed=False,
                    description=failure.__cause__.reason,
                    metadata={"source": _safe(failure.__cause__.source)},
                )
            raise
        if report is not None:
            batch = dg.AssetCheckResult(
                asset_key=key,
                check_name=BATCH_CHECK,
                passed=True,
                metadata={"rows_read": report.rows_read, "rows_loaded": report.rows_loaded},
            )
            yield dg.MaterializeResult(asset_key=key, metadata=report.metadata(), check_results=[batch])

    return _load


def deadline_check(adapter: Adapter) -> dg.AssetChecksDefinition:
    """The freshness check of an adapter asset: did the partition's job load its business date by the
    deadline of its job definition (`deadline` column)? The freshness sensor records it; executing it from
    the UI evaluates it now."""
    key = asset_key(adapter.table.name)  # type: ignore[attr-defined]

    @dg.asset_check(
        asset=key,
        name=DEADLINE_CHECK,
        partitions_def=partitions.partitions_def(adapter.key),
        description="The job's data for the business date was loaded by its deadline (calendar-aware).",
    )
    def _deadline(
        context: dg.AssetCheckExecutionContext, jobsched_db: JobschedDatabase
    ) -> dg.AssetCheckResult:
        from jobsched.service.freshness import evaluate_job

        job_key, day = partitions.from_tags(context.run.tags)
        if not job_key or not day:
            return dg.AssetCheckResult(passed=True, description="no partition: nothing to evaluate")
        status = evaluate_job(jobsched_db.engine(), job_key, date.fromisoformat(day), _now())
        return deadline_result(status)

    return _deadline


def deadline_result(status: Any) -> dg.AssetCheckResult:
    """A service.freshness.DeadlineStatus as the check's result."""
    return dg.AssetCheckResult(
        check_name=DEADLINE_CHECK,
        passed=status.passed,
        description=status.detail,
        metadata=deadline_metadata(status),
    )


def deadline_metadata(status: Any) -> dict[str, str]:
    """What the deadline check reports, whether run as a check or recorded by the freshness sensor."""
    return {
        "job_key": status.job_key,
        "business_date": status.business_date.isoformat(),
        "deadline": status.deadline.isoformat() if status.deadline else "",
        "state": status.state,
    }


def _now() -> datetime:
    from jobsched.store.rows import utc_now

    return utc_now()


def _op_for(adapter: Adapter) -> dg.OpDefinition:
    config_class = run_config_class(adapter.key)  # the step's config schema: Dagster reads the annotation

    @dg.op(name=adapter.key, retry_policy=retry_policy(), out=dg.Out(dg.Nothing, is_required=False))
    def _run(
        context: OpExecutionContext,
        config: config_class,  # type: ignore[valid-type]
        jobsched_db: JobschedDatabase,
        warehouse: Warehouse,
    ) -> Iterator[dg.Output]:
        report = execute_adapter(context, adapter, config, jobsched_db.engine(), warehouse.engine())
        if report is not None:
            yield dg.Output(None, metadata=report.metadata())

    return _run


def execute_adapter(
    context: OpExecutionContext,
    adapter: Adapter,
    run_config: AdapterRunConfig,
    database: sa.Engine,
    warehouse: sa.Engine,
) -> RunReport | None:
    """Guard, resolve config, run the adapter. None when the fire guard stopped the run.

    The job key and business date come from the run config, else the run's partition, else its tags."""
    tags: Mapping[str, str] = context.run.tags
    held_by = fire_guard(tags, context.run_id, context.instance, database)
    if held_by is not None:
        context.log.warning(f"fire guard: {held_by}")
        return None
    given: dict[str, Any] = {
        "job_key": run_config.job_key,
        "business_date": run_config.business_date,
        "params": run_config.params_dict(),
    }
    config = {k: v for k, v in given.items() if v is not None}
    part_job, part_date = partitions.from_tags(tags)
    job_key = run_config.job_key or part_job or tags.get(TAG_JOB) or adapter.key
    try:
        business_date = _business_date(config, tags, part_date)
        params = validate_params(adapter.key, _params(adapter.key, job_key, config, database))
    except (AdapterConfigError, ValueError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    ctx = RunContext(
        job_key=job_key,
        business_date=business_date,
        run_id=context.run_id,
        warehouse=warehouse,
        log=context.log,
        fire_time=tags.get(TAG_FIRE_TIME),
        tags=dict(tags),
        fire_key=fire_key(tags),
        jobsched_db=database,
    )
    context.log.info(f"{adapter.key}: job {job_key}, business date {business_date.isoformat()}")
    earlier = loaded_by_failed_run(ctx, adapter, context.instance)
    if earlier is not None:
        context.log.warning(f"{adapter.key}: {earlier.source}; not loading again")
        return earlier
    try:
        return run_adapter(adapter, ctx, params)
    except AdapterError as exc:
        metadata = {"job_key": job_key, "business_date": business_date.isoformat(), "adapter": adapter.key}
        source = getattr(exc, "source", None)
        if source:
            metadata["source"] = _safe(source)
        raise dg.Failure(description=str(exc), metadata=metadata, allow_retries=exc.retryable) from exc


def fire_key(tags: Mapping[str, str]) -> str | None:
    schedule, fire_time = tags.get(TAG_SCHEDULE), tags.get(TAG_FIRE_TIME)
    return f"{schedule}:{fire_time}" if schedule and fire_time else None


def loaded_by_failed_run(ctx: RunContext, adapter: Adapter, instance: dg.DagsterInstance) -> RunReport | None:
    """The fire's load already committed in a run that then died before it could succeed (worker killed
    past the commit): the fire's receipt says the slice is in, so this run (Dagster's retry of that run, or
    jobsched's re-run of the fire under a new run_key) reports that load instead of executing twice. A
    receipt of a run that succeeded means this is a deliberate reload (a re-execution from the UI): load."""
    if ctx.fire_key is None:
        return None
    receipt = fire_receipt(ctx.warehouse, ctx.fire_key)
    if receipt is None or receipt.run_id == ctx.run_id:
        return None
    loader = instance.get_run_by_id(receipt.run_id)
    if loader is None or loader.status == dg.DagsterRunStatus.SUCCESS:
        return None
    return RunReport(
        adapter=adapter.key,
        job_key=ctx.job_key,
        business_date=ctx.business_date,
        source=f"already loaded by run {receipt.run_id}",
        rows_read=receipt.rows_loaded,
        rows_loaded=receipt.rows_loaded,
        table=receipt.table_name,
        seconds=0.0,
        extra={"loaded_by_run": receipt.run_id},
    )


def fire_guard(
    tags: Mapping[str, str], run_id: str, instance: dg.DagsterInstance, database: sa.Engine
) -> str | None:
    """None if this run may work: no fire tags (manual launch) or the ledger gives it the fire.

    A re-execution (Dagster's automatic run retry, or one from the UI) names its parent; the parent may
    hand the fire over only once Dagster reports it finished, so a live parent is never doubled."""
    schedule, fire_time = tags.get(TAG_SCHEDULE), tags.get(TAG_FIRE_TIME)
    if not schedule or not fire_time:
        return None
    from jobsched.store.ledger import confirm_fire

    try:
        schedule_id, fire_at = int(schedule), datetime.fromisoformat(fire_time)
    except ValueError:
        raise dg.Failure(
            description=f"bad fire tags {TAG_SCHEDULE}={schedule!r} {TAG_FIRE_TIME}={fire_time!r}",
            allow_retries=False,
        ) from None
    parent = tags.get("dagster/parent_run_id")  # set by Dagster on a re-execution
    if parent:
        parent_run = instance.get_run_by_id(parent)
        parent = parent if parent_run is not None and parent_run.is_finished else None
    holder = f"{run_id}/{EXECUTION_TOKEN}"
    return confirm_fire(database, schedule_id, fire_at, run_id, parent, holder)


def _business_date(
    config: Mapping[str, Any], tags: Mapping[str, str], partition_date: str | None = None
) -> date:
    raw = config.get("business_date") or partition_date or tags.get(TAG_BUSINESS_DATE)
    if not raw:
        raise ValueError(f"business_date: missing; give it in run config or the {TAG_BUSINESS_DATE} tag")
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"business_date={raw!r}: not an ISO date (YYYY-MM-DD)") from None


def _params(adapter_key: str, job_key: str, config: Mapping[str, Any], database: sa.Engine) -> dict[str, Any]:
    if config.get("params") is not None:
        return dict(config["params"])
    from jobsched.store.repository import get_job_definition

    definition = get_job_definition(database, job_key)
    if definition is None:
        raise ValueError(
            f"job_key={job_key!r}: no job definition with this key; pass an existing job_key, "
            "or the adapter's params in the run config"
        )
    if definition.adapter != adapter_key:
        raise ValueError(
            f"job_key={job_key!r}: its job definition uses adapter {definition.adapter!r}, "
            f"not {adapter_key!r}"
        )
    return dict(definition.params)


def _safe(source: str) -> str:
    """A source description without credentials (database URLs may embed a password)."""
    if "://" in source and "@" in source.split("://", 1)[1].split("/", 1)[0]:
        try:
            return make_url(source).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - not a database URL; drop the userinfo instead
            scheme, rest = source.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return source
