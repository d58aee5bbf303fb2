"""Reading rows that SQL may have written badly: each column decoded on its own, so a value the column's
type cannot read (SQLite stores anything anywhere) marks that row, never fails the whole query."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from jobsched.domain.validation import UNREADABLE
from jobsched.utc import utc

_NULL = sa.types.NullType()


def read_rows(
    conn: sa.Connection, table: sa.Table, *where: Any, order_by: Any = None
) -> list[dict[str, Any]]:
    """Rows of `table` as dicts. A column whose stored value cannot be read keeps its raw value and is listed
    under row[UNREADABLE] = {column: raw value}; datetimes come back in UTC."""
    raw_columns = [sa.type_coerce(column, _NULL).label(column.name) for column in table.columns]
    statement = sa.select(*raw_columns).select_from(table).where(*where)
    if order_by is not None:
        statement = statement.order_by(order_by)
    decoders = {column.name: _decoder(conn.dialect, column) for column in table.columns}
    return [_decode(dict(row), decoders) for row in conn.execute(statement).mappings()]


def _decoder(dialect: sa.Dialect, column: sa.Column) -> Any:
    processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
    try:
        expected = column.type.python_type
    except NotImplementedError:
        expected = object

    def decode(value: Any) -> Any:
        if value is None:
            return None
        if expected is bool and (not isinstance(value, bool | int) or value not in (0, 1)):
            raise ValueError("not a boolean")
        decoded = processor(value) if processor is not None else value
        if not isinstance(decoded, expected) or (expected is int and isinstance(decoded, bool)):
            raise ValueError(f"not a {getattr(expected, '__name__', 'value')}")
        if isinstance(decoded, datetime):
            decoded = utc(decoded)
        elif isinstance(decoded, date) and not isinstance(decoded, datetime) and expected is datetime:
            raise ValueError("not a datetime")
        return decoded

    return decode


def _decode(raw: dict[str, Any], decoders: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    unreadable: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            row[name] = decoders[name](value)
        except Exception:  # noqa: BLE001 - any failure to read a value marks the column, not the query
            row[name] = value
            unreadable[name] = value
    if unreadable:
        row[UNREADABLE] = unreadable
    return row


def unreadable(row: dict[str, Any]) -> dict[str, Any]:
    return row.get(UNREADABLE) or {}


def problem_of(row: dict[str, Any]) -> str | None:
    """'column=value: cannot be read ...' for the first unreadable column, or None."""
    from jobsched.domain.validation import RowInvalid

    for column, value in unreadable(row).items():
        return str(RowInvalid(column, value, "cannot be read as stored (wrong type for the column)"))
    return None


def readable(row: dict[str, Any]) -> dict[str, Any]:
    """The row for output: unreadable columns as None (the row's problem names them)."""
    bad = unreadable(row)
    return {key: (None if key in bad else value) for key, value in row.items() if key != UNREADABLE}
