"""Probes and metrics for orchestrators and Prometheus. Always open, answer no details.

/live: the process serves HTTP (liveness). /ready: the database answers, so this replica can serve
(readiness; unlike /health it ignores quarantined rows and calendar horizons, which operators fix through
this very API). /metrics: Prometheus text format, computed from the database at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from jobsched.api.deps import get_engine, now
from jobsched.service.metrics import WINDOW, MetricsSnapshot, snapshot

router = APIRouter(tags=["probes"])


@router.get("/live", responses={200: {"description": "the process is up"}})
def live() -> dict[str, str]:
    return {"status": "live"}


@router.get("/ready", responses={503: {"description": "the database is not reachable"}})
def ready(engine: Annotated[sa.Engine, Depends(get_engine)]) -> JSONResponse:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "not ready"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(engine: Annotated[sa.Engine, Depends(get_engine)]) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot(engine, now())))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class SnapshotCollector(Collector):
    def __init__(self, data: MetricsSnapshot) -> None:
        self.data = data

    def collect(self) -> Iterator[GaugeMetricFamily]:
        d = self.data
        window = f"{int(WINDOW.total_seconds() // 3600)}h"
        yield _gauge(
            "jobsched_database_up",
            "1 when jobsched's database answered this scrape",
            1 if d.database_up else 0,
        )
        if not d.database_up:
            return
        fires = GaugeMetricFamily(
            "jobsched_fires", f"fires due in the last {window}, by ledger status", labels=["status"]
        )
        for status, count in sorted(d.fires.items()):
            fires.add_metric([status], count)
        yield fires
        skips = GaugeMetricFamily(
            "jobsched_skips", f"skipped fires due in the last {window}, by reason", labels=["reason"]
        )
        for reason, count in sorted(d.skips.items()):
            skips.add_metric([reason], count)
        yield skips
        lag = GaugeMetricFamily(
            "jobsched_fire_lag_seconds",
            "oldest_waiting: how long the oldest due fire not yet started has waited; "
            f"max_start: worst due-to-claimed delay among fires of the last {window}",
            labels=["kind"],
        )
        lag.add_metric(["oldest_waiting"], d.oldest_waiting_lag)
        lag.add_metric(["max_start"], d.max_start_lag)
        yield lag
        yield _gauge("jobsched_quarantined_schedules", "schedule rows the engine cannot plan", d.quarantined)
        yield _labeled_gauge(
            "jobsched_calendar_days_left",
            "days of calendar data left, per calendar in use",
            "calendar",
            d.calendar_days_left,
        )
        yield _labeled_gauge(
            "jobsched_deadline_missed",
            "1 when the job definition's latest business date passed its deadline without a successful load",
            "job",
            d.deadline_missed,
        )
        if d.tick_age is not None:
            yield _gauge(
                "jobsched_engine_tick_age_seconds", "seconds since the engine's last tick", d.tick_age
            )
        if d.tick_duration is not None:
            yield _gauge(
                "jobsched_engine_tick_duration_seconds",
                "wall time of the engine's last tick",
                d.tick_duration,
            )
        yield _gauge(
            "jobsched_ledger_rows", "rows in the fire ledger (estimate when very large)", d.ledger_rows
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labeled_gauge(
    name: str, documentation: str, label: str, values: Mapping[str, float]
) -> GaugeMetricFamily:
    """One series per key of `values`, in key order."""
    gauge = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        gauge.add_metric([key], value)
    return gauge


__all__ = ["router"]
