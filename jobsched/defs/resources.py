"""The jobsched database and the warehouse as Dagster resources (configured with EnvVar).

`JOBSCHED_DATABASE_URL` / `JOBSCHED_WAREHOUSE_URL` configure them through `dg.EnvVar` when set (read by the
run worker at launch, shown as env vars in the UI's resource page); unset, they fall back to the
settings' defaults (SQLite files under JOBSCHED_DATA_DIR), as `make run` uses them.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from jobsched import settings
from jobsched.store.db import engine_for

DATABASE_ENV = "JOBSCHED_DATABASE_URL"
WAREHOUSE_ENV = "JOBSCHED_WAREHOUSE_URL"


class JobschedDatabase(dg.ConfigurableResource):
    """The jobsched tables (job definitions, schedules, fire ledger)."""

    url: str | None = Field(
        default=None, description=f"SQLAlchemy URL (default: {DATABASE_ENV} or the settings)"
    )

    def engine(self) -> sa.Engine:
        return engine_for(settings.normalize_url(self.url) if self.url else settings.database_url())


class Warehouse(dg.ConfigurableResource):
    """The database the adapters load into."""

    url: str | None = Field(
        default=None, description=f"SQLAlchemy URL (default: {WAREHOUSE_ENV} or the settings)"
    )

    def engine(self) -> sa.Engine:
        return engine_for(settings.normalize_url(self.url) if self.url else settings.warehouse_url())


def build_resources() -> dict[str, dg.ConfigurableResource]:
    # Settings decide whether a variable is set (the one place they are read); EnvVar keeps the UI naming it.
    configured = settings.current()
    database = (
        JobschedDatabase(url=dg.EnvVar(DATABASE_ENV)) if configured.database_url else JobschedDatabase()
    )
    warehouse = Warehouse(url=dg.EnvVar(WAREHOUSE_ENV)) if configured.warehouse_url else Warehouse()
    return {"jobsched_db": database, "warehouse": warehouse}
