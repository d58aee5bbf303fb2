"""The tags jobsched puts on Dagster runs, defined once: the engine writes them, the jobs, sensors and the
run coordinator read them, the API and the docs name them. No dagster import here (the engine uses it)."""

from __future__ import annotations

TAG_SCHEDULE = "jobsched/schedule"  # schedule id
TAG_SCHEDULE_NAME = "jobsched/schedule_name"
TAG_FIRE_TIME = "jobsched/fire_time"  # the fire's nominal instant, ISO 8601 UTC: with the id, its identity
TAG_BUSINESS_DATE = "jobsched/business_date"
TAG_JOB = "jobsched/job"  # job definition key
TAG_ADAPTER = "jobsched/adapter"
TAG_TRIGGER = "jobsched/trigger"  # schedule | manual | backfill
TAG_STOPPED_BY = "jobsched/stopped_by"  # set on runs ended by a code location's shutdown
