"""The run coordinator of jobsched's Dagster instances (dagster.yaml `run_coordinator`).

A QueuedRunCoordinator that completes the tags of runs launched by hand (`dagster job launch`, the
launchpad): Dagster run tags cannot depend on run config, and the per-job limit (tag_concurrency_limits on
`jobsched/job`) is applied at dequeue from the run's tags. So at submit time a run without `jobsched/job`
gets it from its config's `job_key`, plus `jobsched/trigger=manual` (and `jobsched/business_date`). A
job_key with no job-definition row (and no `params` in the config), or whose row uses another adapter, fails
the run at once with a message naming it, instead of running the adapter on its defaults.

It reads jobsched's database from the settings (`settings.database_url()`), not from the `jobsched_db`
resource: a run coordinator is built from `dagster.yaml` inside the daemon or webserver process, outside any
run and any code location, so Dagster gives it no resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dagster import DagsterRun, QueuedRunCoordinator
from dagster._core.errors import DagsterError
from dagster._core.run_coordinator.base import SubmitRunContext

from jobsched.defs import partitions
from jobsched.tags import TAG_ADAPTER, TAG_BUSINESS_DATE, TAG_JOB, TAG_TRIGGER


class UnknownJobKey(DagsterError):
    """The run names a job definition that does not exist (or belongs to another adapter)."""


def adapter_config(run_config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The config block of the adapter step: the one op config that carries job_key/business_date/params."""
    ops = run_config.get("ops") or {}
    for block in ops.values() if isinstance(ops, Mapping) else ():
        config = block.get("config") if isinstance(block, Mapping) else None
        if isinstance(config, Mapping) and config.keys() & {"job_key", "business_date", "params"}:
            return config
    return {}


def manual_tags(run: DagsterRun) -> tuple[dict[str, str], str | None]:
    """Tags a hand-launched run should carry, and the problem that must fail it (None: none).

    The job key and business date come from the run config, else from the run's partition (a partition
    materialized from the Dagster UI has no config); a run given both in its config but no partition gets
    its (business date, job) partition's tags, so it shows on the asset's partitions like a scheduled run."""
    config = adapter_config(run.run_config or {})
    adapter = run.tags.get(TAG_ADAPTER) or run.job_name
    part_job, part_date = partitions.from_tags(run.tags)
    job_key = str(config.get("job_key") or part_job or adapter)
    tags = {TAG_JOB: job_key, TAG_TRIGGER: "manual"}
    business_date = config.get("business_date") or part_date
    if business_date:
        tags[TAG_BUSINESS_DATE] = str(business_date)
        if part_job is None and "dagster/partition" not in run.tags and _partitioned(adapter):
            try:
                tags |= partitions.partition_tags(job_key, date.fromisoformat(str(business_date)))
            except ValueError:
                pass  # a bad date fails the run in its step, naming the value
    return tags, job_problem(job_key, adapter, has_params=config.get("params") is not None)


def _partitioned(adapter_key: str) -> bool:
    from jobsched import adapters

    try:
        return getattr(adapters.get_adapter(adapter_key), "table", None) is not None
    except LookupError:
        return False


def job_problem(job_key: str, adapter: str, *, has_params: bool) -> str | None:
    from jobsched import settings
    from jobsched.store.db import engine_for
    from jobsched.store.repository import get_job_definition

    definition = get_job_definition(engine_for(settings.database_url()), job_key)
    if definition is None:
        if has_params:
            return None
        return (
            f"job_key={job_key!r}: no job definition with this key (list them with `jobsched jobs list` "
            "or GET /jobs); pass an existing job_key, or the adapter's params in the run config"
        )
    if definition.adapter != adapter:
        return f"job_key={job_key!r}: its job definition uses adapter {definition.adapter!r}, not {adapter!r}"
    return None


class JobschedRunCoordinator(QueuedRunCoordinator):
    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        if TAG_JOB not in run.tags and run.tags.get(TAG_ADAPTER):
            tags, problem = manual_tags(run)
            self._instance.add_run_tags(run.run_id, tags)
            part_job, part_date = partitions.from_tags(tags)
            if problem is None and part_job and part_date:
                adapter = run.tags.get(TAG_ADAPTER) or run.job_name
                partitions.ensure(self._instance, adapter, part_job, date.fromisoformat(part_date))
            if problem is not None:
                failed = self._instance.get_run_by_id(run.run_id) or run
                self._instance.report_run_failed(failed, message=f"jobsched: {problem}")
                raise UnknownJobKey(problem)
            run = self._instance.get_run_by_id(run.run_id) or run
            context = SubmitRunContext(run, context.workspace)
        return super().submit_run(context)
