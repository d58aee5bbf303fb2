"""Dagster's Postgres instance storage with a connection pool per process.

dagster-postgres opens a new connection for every storage call (SQLAlchemy `NullPool`) and, for every run
read or run event, reflects the `runs` table's columns over yet another connection. Creating a burst of runs
made up to five such calls per run: measured with py-spy on the daemon, connecting took 48% and the
reflection 19% of the time spent creating and queueing runs. This storage is the same tables and the same
code with two changes: each process keeps up to `pool_size` open connections (checked with a ping before
use, so a restarted server costs one failed ping, not an error), and a column that the reflection has found
once is not looked up again (columns are only ever added, by `dagster instance migrate`).

Used by deploy/dagster.yaml as `storage: custom: {module: jobsched.defs.pgstorage, class:
PooledPostgresStorage, config: <the same keys as storage: postgres> + pool_size}`. A connection is opened
only when a thread needs one, so a run worker that reads and writes one call at a time keeps one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dagster import Field, IntSource
from dagster._config.config_schema import UserConfigSchema
from dagster._core.storage.config import pg_config
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.run_storage import PostgresRunStorage
from dagster_postgres.schedule_storage import PostgresScheduleStorage
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config
from sqlalchemy import pool as db_pool

DEFAULT_POOL_SIZE = 8  # the daemon's sensor submit workers (deploy/dagster.yaml) each hold one at a time


class _Pooled:
    """Swaps a dagster-postgres storage's engine for a pooled one; disposing the storage closes the pool."""

    _engine: Any

    def use_pool(self, postgres_url: str, token_provider: Any, pool_size: int) -> None:
        self._engine = create_pg_engine(
            postgres_url,
            token_provider,
            isolation_level="AUTOCOMMIT",
            poolclass=db_pool.QueuePool,
            pool_size=max(1, pool_size),
            max_overflow=max(1, pool_size),
            pool_pre_ping=True,
            pool_recycle=3600,
        )

    def dispose(self) -> None:
        super().dispose()  # type: ignore[misc]
        self._engine.dispose()


class PooledRunStorage(_Pooled, PostgresRunStorage):
    """Run storage whose column checks are remembered once true."""

    def _has_columns(self, name: str, check: Callable[[], bool]) -> bool:
        known: set[str] = self.__dict__.setdefault("_known_columns", set())
        if name in known:
            return True
        present = check()
        if present:
            known.add(name)
        return present

    def has_run_stats_index_cols(self) -> bool:
        return self._has_columns("run_stats", super().has_run_stats_index_cols)

    def has_bulk_actions_selector_cols(self) -> bool:
        return self._has_columns("bulk_actions_selector", super().has_bulk_actions_selector_cols)

    def has_backfill_id_column(self) -> bool:
        return self._has_columns("backfill_id", super().has_backfill_id_column)


class PooledEventLogStorage(_Pooled, PostgresEventLogStorage):
    pass


class PooledScheduleStorage(_Pooled, PostgresScheduleStorage):
    pass


class PooledPostgresStorage(DagsterPostgresStorage):
    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: Any = None,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        self._run_storage = PooledRunStorage(
            postgres_url, should_autocreate_tables, token_provider=token_provider
        )
        self._event_log_storage = PooledEventLogStorage(
            postgres_url, should_autocreate_tables, token_provider=token_provider
        )
        self._schedule_storage = PooledScheduleStorage(
            postgres_url, should_autocreate_tables, token_provider=token_provider
        )
        for storage in (self._run_storage, self._event_log_storage, self._schedule_storage):
            storage.use_pool(postgres_url, token_provider, pool_size)
        super(DagsterPostgresStorage, self).__init__()  # what DagsterPostgresStorage.__init__ ends with

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return {
            **pg_config(),  # type: ignore[dict-item]
            "pool_size": Field(
                IntSource,
                is_required=False,
                default_value=DEFAULT_POOL_SIZE,
                description="Open connections kept per process and storage (runs, events, schedules).",
            ),
        }

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledPostgresStorage:
        return PooledPostgresStorage(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
            pool_size=config_value.get("pool_size", DEFAULT_POOL_SIZE),
        )


def storage_config(postgres_url: str) -> dict[str, Any]:
    """The `storage:` section of a dagster.yaml that puts Dagster's storage at `postgres_url` this way."""
    return {
        "custom": {
            "module": __name__,
            "class": PooledPostgresStorage.__name__,
            "config": {"postgres_url": postgres_url, "pool_size": DEFAULT_POOL_SIZE},
        }
    }
