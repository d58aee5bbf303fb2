"""Business-date partitions of the adapter assets: one cell per (business date, job definition).

Every adapter asset has a two-dimensional partitioning: `business_date` (dynamic, shared by all assets:
`jobsched_business_dates`) and `job` (dynamic, one set per adapter: `jobsched_jobs__<adapter>`), so the
asset's Partitions page shows, per job definition and business date, what loaded, failed or is missing.
A partition key reads `<business date>|<job key>`, e.g. `2026-11-20|eod_prices_nse` (Dagster joins the
dimensions in name order; job keys never contain `|`). The engine sensor adds both dimensions' keys as it
requests runs; the run coordinator adds them for runs launched by hand (`dagster job launch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import dagster as dg

DATE_DIM = "business_date"
JOB_DIM = "job"
BUSINESS_DATES = "jobsched_business_dates"


def jobs_partitions_name(adapter_key: str) -> str:
    return f"jobsched_jobs__{adapter_key}"


def partitions_def(adapter_key: str) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {
            DATE_DIM: dg.DynamicPartitionsDefinition(name=BUSINESS_DATES),
            JOB_DIM: dg.DynamicPartitionsDefinition(name=jobs_partitions_name(adapter_key)),
        }
    )


def partition_key(job_key: str, business_date: date) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({DATE_DIM: business_date.isoformat(), JOB_DIM: job_key})


def partition_tags(job_key: str, business_date: date) -> dict[str, str]:
    """The run tags Dagster gives a run of this partition (what a RunRequest's partition_key yields)."""
    key = partition_key(job_key, business_date)
    return {
        "dagster/partition": str(key),
        f"dagster/partition/{DATE_DIM}": business_date.isoformat(),
        f"dagster/partition/{JOB_DIM}": job_key,
    }


def from_tags(tags: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(job key, business date text) of a partitioned run from its tags; (None, None) if unpartitioned."""
    return tags.get(f"dagster/partition/{JOB_DIM}"), tags.get(f"dagster/partition/{DATE_DIM}")


def add_requests(cells: Iterable[tuple[str, str, date]]) -> list[dg.AddDynamicPartitionsRequest]:
    """Requests adding the (adapter, job key, business date) cells' dimension keys (duplicates are fine)."""
    dates: set[str] = set()
    jobs: dict[str, set[str]] = {}
    for adapter_key, job_key, business_date in cells:
        dates.add(business_date.isoformat())
        jobs.setdefault(adapter_key, set()).add(job_key)
    requests = [dg.AddDynamicPartitionsRequest(BUSINESS_DATES, sorted(dates))] if dates else []
    requests += [
        dg.AddDynamicPartitionsRequest(jobs_partitions_name(adapter), sorted(keys))
        for adapter, keys in sorted(jobs.items())
    ]
    return requests


def ensure(instance: dg.DagsterInstance, adapter_key: str, job_key: str, business_date: date) -> None:
    """Add the cell's keys to the instance's dynamic partitions (a hand-launched run's partition)."""
    for request in add_requests([(adapter_key, job_key, business_date)]):
        missing = [
            k
            for k in request.partition_keys
            if not instance.has_dynamic_partition(request.partitions_def_name, k)
        ]
        if missing:
            instance.add_dynamic_partitions(request.partitions_def_name, missing)
