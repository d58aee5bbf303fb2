"""The single Dagster Definitions: per registered adapter an asset and a job, the asset checks, the engine,
outcome and freshness sensors, and the resources."""

from __future__ import annotations

from dagster import Definitions

from jobsched.defs.freshness import build_freshness_sensor
from jobsched.defs.jobs import build_assets, build_checks, build_jobs
from jobsched.defs.resources import build_resources
from jobsched.defs.sensors import build_sensors

_jobs = build_jobs()
defs = Definitions(
    assets=build_assets(),
    asset_checks=build_checks(),
    jobs=_jobs,
    sensors=[*build_sensors(_jobs), build_freshness_sensor()],
    resources=build_resources(),
)
