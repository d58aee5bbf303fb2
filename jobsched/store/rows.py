"""Small helpers shared by the store modules: dialect-aware insert-if-absent and UTC handling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jobsched.utc import utc, utc_now  # defined once in jobsched/utc.py; re-exported for older imports

__all__ = ["insert_if_absent", "utc", "utc_now"]


def insert_if_absent(conn: sa.Connection, table: sa.Table, values: Mapping[str, Any]) -> Any | None:
    """INSERT ... ON CONFLICT DO NOTHING; returns the new primary key, or None when the row already existed.

    This is the atomic claim: with a unique key, exactly one of any number of concurrent writers wins.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    primary_key = next(iter(table.primary_key.columns))
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(primary_key)
    return conn.execute(statement).scalar_one_or_none()
