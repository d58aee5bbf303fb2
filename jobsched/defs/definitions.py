"""The single Dagster Definitions: one job per registered adapter, the engine and outcome sensors."""

from __future__ import annotations

from dagster import Definitions

from jobsched.defs.jobs import build_assets, build_jobs
from jobsched.defs.sensors import build_sensors

_jobs = build_jobs()
defs = Definitions(assets=build_assets(), jobs=_jobs, sensors=build_sensors(_jobs))
