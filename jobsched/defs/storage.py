"""Create or migrate Dagster's instance storage (the `migrate` one-shot runs this with jobsched's upgrade).

Dagster's Postgres schedule storage decides whether to create its tables by looking for a table named
`schedules` or `jobs`. jobsched's own `schedules` table, in the same database and schema, hides the missing
Dagster tables, so `dagster instance migrate` after `jobsched db upgrade` would fail on the missing `jobs`
table. `migrate_instance` creates them in that case, then runs what `dagster instance migrate` runs.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from dagster import DagsterInstance


def migrate_instance(instance: DagsterInstance, print_fn: Callable[[str], None] | None = None) -> bool:
    """Upgrade `instance`'s storage; returns True when Dagster's schedule tables had to be created."""
    created = ensure_schedule_storage(instance)
    instance.upgrade(print_fn)
    return created


def ensure_schedule_storage(instance: DagsterInstance) -> bool:
    storage = instance.schedule_storage
    engine = getattr(storage, "_engine", None)
    if engine is None or engine.dialect.name != "postgresql":
        return False  # SQLite storage keeps Dagster's tables in their own files
    from dagster._core.storage.schedules.schema import ScheduleStorageSqlMetadata
    from dagster._core.storage.sql import stamp_alembic_rev
    from dagster_postgres.schedule_storage import schedule_storage as pg_schedule_storage
    from dagster_postgres.utils import pg_alembic_config

    if "jobs" in sa.inspect(engine).get_table_names():
        return False
    with storage.connect() as conn, conn.begin():  # type: ignore[union-attr]
        ScheduleStorageSqlMetadata.create_all(conn)
        stamp_alembic_rev(pg_alembic_config(pg_schedule_storage.__file__), conn)
    storage.migrate()  # type: ignore[union-attr]  # marks Dagster's data migrations applied
    storage.optimize()  # type: ignore[union-attr]
    return True
