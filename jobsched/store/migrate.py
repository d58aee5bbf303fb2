"""Apply jobsched's Alembic migrations to a database (SQLite or Postgres).

jobsched keeps its Alembic revision in its own table, `jobsched_alembic_version`, so it can share one
database (and schema) with Dagster's Postgres storage, whose Alembic uses the default `alembic_version`.
Databases migrated before that change hold jobsched's revision in `alembic_version`; `upgrade` moves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from jobsched import settings
from jobsched.store.db import engine_for

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "jobsched_alembic_version"
LEGACY_VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    url = settings.normalize_url(url or settings.database_url())
    with engine_for(url).begin() as conn:
        config = alembic_config(url)
        if conn.dialect.name == "postgresql":
            # two migrators starting at once (compose restarts, Helm hook retries) take turns
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended('jobsched-migrate', 0))"))
        carry_over_legacy_version(conn, config)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@contextmanager
def migration_lock(url: str | None = None) -> Iterator[None]:
    """Serialise whole migrate one-shots (Dagster's storage and jobsched's tables) across processes, e.g.
    every API pod's init container starting at once. A no-op on SQLite (one file, one writer)."""
    url = settings.normalize_url(url or settings.database_url())
    engine = engine_for(url)
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        key = sa.text("SELECT hashtextextended('jobsched-migrate-all', 0)")
        lock_id = conn.execute(key).scalar_one()
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": lock_id})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
            conn.commit()


def jobsched_revisions(config: Config) -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def carry_over_legacy_version(conn: sa.Connection, config: Config) -> list[str]:
    """Move jobsched's revision ids out of `alembic_version` into `jobsched_alembic_version`.

    Only rows naming jobsched revisions move; Dagster's rows stay. The legacy table is dropped only when
    nothing is left in it. Returns the revision ids moved (empty when there was nothing to do).
    """
    tables = set(sa.inspect(conn).get_table_names())
    if LEGACY_VERSION_TABLE not in tables:
        return []
    legacy = sa.table(LEGACY_VERSION_TABLE, sa.column("version_num", sa.String))
    present = list(conn.execute(sa.select(legacy.c.version_num)).scalars())
    ours = sorted(set(present) & jobsched_revisions(config))
    if not ours:
        return []
    if VERSION_TABLE in tables and conn.execute(sa.text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar():
        # already carried over (and migrated since): the legacy rows are stale leftovers
        pass
    else:
        if VERSION_TABLE not in tables:
            conn.execute(
                sa.text(
                    f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
                    f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
                )
            )
        target = sa.table(VERSION_TABLE, sa.column("version_num", sa.String))
        conn.execute(target.insert(), [{"version_num": rev} for rev in ours])
    conn.execute(legacy.delete().where(legacy.c.version_num.in_(ours)))
    if len(ours) == len(present):
        conn.execute(sa.text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))
    return ours
