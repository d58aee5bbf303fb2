"""Helpers shared by the service modules: optimistic-concurrency updates, text checks, time formatting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any, TypeVar

import sqlalchemy as sa

from jobsched.domain.validation import zone_problem
from jobsched.service.errors import NotFound, VersionMismatch, VersionRequired

T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids are 32-bit integers on Postgres


def bad_text(value: object) -> str | None:
    """Why a string cannot be stored (NUL bytes, lone surrogates), or None."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def check_key(kind: str, key: str, max_length: int = 200) -> str:
    """A name used to look a row up: anything unstorable cannot name an existing row."""
    if not key or len(key) > max_length or bad_text(key):
        raise NotFound(kind, key)
    return key


def check_id(kind: str, row_id: int) -> int:
    if not 1 <= row_id <= MAX_ID:
        raise NotFound(kind, row_id)
    return row_id


def valid_zone(name: str) -> bool:
    return zone_problem(name) is None


def hhmm(value: time | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


ANY_VERSION = -1  # If-Match: * -- the caller explicitly accepts whatever version the row has now


def require_version(
    kind: str, key: object, current: int, expected: int | None, required: bool = True
) -> None:
    if expected == ANY_VERSION:
        return
    if expected is None:
        if required:
            raise VersionRequired(kind, key, current)
        return
    if expected != current:
        raise VersionMismatch(kind, key, expected, current)


def guarded_update(
    conn: sa.Connection,
    table: sa.Table,
    row: Mapping[str, Any],
    values: Mapping[str, Any],
    kind: str,
    key: object,
) -> None:
    """UPDATE ... WHERE id = :id AND version = :read_version; a concurrent edit in between is a mismatch.
    The database trigger bumps `version` and `updated_at` on every update."""
    changed = conn.execute(
        sa.update(table).where(table.c.id == row["id"], table.c.version == row["version"]).values(**values)
    ).rowcount
    if changed == 1:
        return
    current = conn.execute(sa.select(table.c.version).where(table.c.id == row["id"])).scalar_one_or_none()
    if current is None:
        raise NotFound(kind, key)
    raise VersionMismatch(kind, key, row["version"], current)


MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    """limit/offset paging of a collection (lists are ordered by their key, so pages are stable)."""

    limit: int = 2**31  # the service's callers (CLI, pages) take everything unless they ask for a page
    offset: int = 0

    def take(self, items: Sequence[T]) -> list[T]:
        return list(items[self.offset : self.offset + self.limit])

    def next_offset(self, total: int) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < total else None
