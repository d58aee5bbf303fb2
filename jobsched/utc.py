"""The one UTC helper: every instant jobsched stores, compares or shows is an aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def utc(value: datetime) -> datetime: ...


@overload
def utc(value: None) -> None: ...


def utc(value: datetime | None) -> datetime | None:
    """The same instant in UTC; a naive datetime means UTC (SQLite hands them back naive, Postgres aware)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)
