"""Engines for jobsched's own database and the warehouse, one per URL per process."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from jobsched import settings


def engine_for(url: str | None = None) -> sa.Engine:
    """The engine for `url` (default: jobsched's database as configured now), shared per process."""
    return _engine(settings.normalize_url(url or settings.database_url()))


@cache
def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # a DBAPI connection: untyped by nature
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
