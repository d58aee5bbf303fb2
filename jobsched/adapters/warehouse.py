"""Loading into the warehouse: a (job_key, business_date) slice replaced inside one transaction.

Postgres gets COPY FROM STDIN (the bulk fast path); other databases get one executemany per chunk.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from jobsched.adapters import pgbinary
from jobsched.adapters.base import RunContext

metadata = sa.MetaData()

_created: set[tuple[str, str]] = set()
_created_lock = threading.Lock()


def slice_table(name: str, *columns: sa.Column, key: tuple[str, ...]) -> sa.Table:
    """A warehouse table whose rows belong to a (job_key, business_date) slice; `key` is unique within it."""
    return sa.Table(
        name,
        metadata,
        sa.Column("job_key", sa.String(100), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        *columns,
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_key", "business_date", *key, name=f"pk_{name}"),
    )


#: One row per scheduled fire whose slice was loaded, written in the load's own transaction. A run that
#: re-executes a fire whose worker died after the commit finds it and does not load (and count) twice.
fire_receipts = sa.Table(
    "jobsched_fire_receipts",
    metadata,
    sa.Column("fire_key", sa.String(200), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("table_name", sa.String(100), nullable=False),
    sa.Column("rows_loaded", sa.Integer, nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
)


def fire_receipt(engine: sa.Engine, fire_key: str) -> sa.Row[Any] | None:
    """The receipt of the fire's committed load, or None."""
    ensure_table(engine, fire_receipts)
    with engine.connect() as conn:
        return conn.execute(sa.select(fire_receipts).where(fire_receipts.c.fire_key == fire_key)).first()


def ensure_table(engine: sa.Engine, table: sa.Table) -> None:
    """Create the table if missing; safe when several processes race to create it."""
    marker = (engine.url.render_as_string(hide_password=True), table.name)
    if marker in _created:
        return
    with _created_lock:
        try:
            table.create(engine, checkfirst=True)
        except sa.exc.DatabaseError as exc:  # another process created it between check and create
            if "already exists" not in str(exc).lower():
                raise
        _created.add(marker)


def replace_slice(
    ctx: RunContext,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    also: Callable[[sa.Connection], None] | None = None,
) -> int:
    """Delete the run's slice of `table` and insert `frame` in one transaction; returns rows written.

    A failure anywhere (including in `also`, which runs in the same transaction) rolls back to the
    previous slice. Concurrent loads of the same slice are serialised (advisory lock / SQLite writer lock).
    """
    engine = ctx.warehouse
    ensure_table(engine, table)
    if ctx.fire_key is not None:
        ensure_table(engine, fire_receipts)
    rows = with_slice_columns(frame, ctx.job_key, ctx.business_date, ctx.run_id)
    written = 0
    with engine.begin() as conn:
        lock_slice(conn, table, ctx.job_key, ctx.business_date)
        conn.execute(
            table.delete().where(table.c.job_key == ctx.job_key, table.c.business_date == ctx.business_date)
        )
        for written in insert_chunks(conn, table, rows, ctx.chunk_rows, SLICE_CONSTANTS):
            if ctx.on_chunk is not None:
                ctx.on_chunk(written)
        if also is not None:
            also(conn)
        if ctx.fire_key is not None:
            conn.execute(fire_receipts.delete().where(fire_receipts.c.fire_key == ctx.fire_key))
            receipt = {"fire_key": ctx.fire_key, "run_id": ctx.run_id, "table_name": table.name}
            conn.execute(
                fire_receipts.insert(), {**receipt, "rows_loaded": written, "loaded_at": datetime.now(UTC)}
            )
    return written


#: the columns `with_slice_columns` adds: one value in every row of a load
SLICE_CONSTANTS = ("job_key", "business_date", "run_id", "loaded_at")


def with_slice_columns(frame: pd.DataFrame, job_key: str, business_date: date, run_id: str) -> pd.DataFrame:
    rows = frame.copy()
    rows.insert(0, "job_key", job_key)
    rows.insert(1, "business_date", business_date)
    rows["run_id"] = run_id
    rows["loaded_at"] = datetime.now(UTC)
    return rows


def lock_slice(conn: sa.Connection, table: sa.Table, job_key: str, business_date: date) -> None:
    if conn.dialect.name == "postgresql":
        key = f"{table.name}|{job_key}|{business_date.isoformat()}"
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def insert_chunks(
    conn: sa.Connection, table: sa.Table, rows: pd.DataFrame, size: int, constants: tuple[str, ...] = ()
) -> Iterator[int]:
    """Insert `rows` chunk by chunk, yielding the rows written so far after each chunk.

    On Postgres the next chunk's COPY payload is built in a helper thread while the server ingests the
    current one (Arrow and psycopg2 release the GIL), so client and server work overlap.
    """
    starts = range(0, len(rows), max(1, size))
    if conn.dialect.name != "postgresql":
        for start in starts:
            chunk = rows.iloc[start : start + size]
            bulk_insert(conn, table, chunk)
            yield start + len(chunk)
        return
    prep = conn.dialect.identifier_preparer
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-payload") as helper:
        ahead = [
            helper.submit(copy_payload, prep, table, rows.iloc[start : start + size], constants)
            for start in starts[:1]
        ]
        for n, start in enumerate(starts):
            if n + 1 < len(starts):
                following = starts[n + 1]
                ahead.append(
                    helper.submit(
                        copy_payload, prep, table, rows.iloc[following : following + size], constants
                    )
                )
            sql, payload = ahead.pop(0).result()
            copy_stream(conn, sql, payload)
            yield min(start + size, len(rows))


def bulk_insert(conn: sa.Connection, table: sa.Table, chunk: pd.DataFrame) -> None:
    if chunk.empty:
        return
    if conn.dialect.name == "postgresql":
        copy_into(conn, table, chunk)
    elif conn.dialect.name == "sqlite":
        executemany_sqlite(conn, table, chunk)
    else:
        records = chunk.astype(object).where(chunk.notna(), None).to_dict("records")
        conn.execute(table.insert(), records)


def executemany_sqlite(conn: sa.Connection, table: sa.Table, chunk: pd.DataFrame) -> None:
    """One DBAPI executemany of plain tuples; values go through the column types' bind processors."""
    columns = []
    for name in chunk.columns:
        values = chunk[name].astype(object).where(chunk[name].notna(), None).tolist()
        processor = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        columns.append([None if v is None else processor(v) for v in values] if processor else values)
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(str(c)) for c in chunk.columns)
    marks = ", ".join("?" for _ in chunk.columns)
    sql = f"INSERT INTO {prep.format_table(table)} ({names}) VALUES ({marks})"
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def copy_into(conn: sa.Connection, table: sa.Table, chunk: pd.DataFrame) -> None:
    """COPY the chunk through the connection's own transaction (psycopg2)."""
    copy_stream(conn, *copy_payload(conn.dialect.identifier_preparer, table, chunk))


def copy_payload(
    prep: Any, table: sa.Table, chunk: pd.DataFrame, constants: tuple[str, ...] = ()
) -> tuple[str, Any]:
    """The COPY statement for the chunk and its data, a file-like object; `constants` name columns
    holding one value in every row.

    Binary COPY when every column's type and values are covered by `pgbinary` (the server parses
    nothing); else CSV written by Arrow's writer when every column converts to Arrow without Python per
    value; else COPY text built column-wise.
    """
    binary = pgbinary.encode(table, chunk, constants)
    if binary is not None:
        names = ", ".join(prep.quote(str(c)) for c in binary.columns)
        return f"COPY {prep.format_table(table)} ({names}) FROM STDIN WITH (FORMAT binary)", binary.reader()
    columns = ", ".join(prep.quote(str(c)) for c in chunk.columns)
    arrow = arrow_table(chunk)
    if arrow is not None:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(arrow, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        sql = f"COPY {prep.format_table(table)} ({columns}) FROM STDIN WITH (FORMAT csv)"
        return sql, pa.BufferReader(sink.getvalue())
    texts = [copy_text(chunk[name]) for name in chunk.columns]
    payload = io.BytesIO(("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n").encode("utf-8"))
    return f"COPY {prep.format_table(table)} ({columns}) FROM STDIN", payload


def copy_stream(conn: sa.Connection, sql: str, payload: Any) -> None:
    dbapi_conn = conn.connection.driver_connection
    with dbapi_conn.cursor() as cursor:  # type: ignore[union-attr]
        cursor.copy_expert(sql, payload, size=1 << 20)


def arrow_table(chunk: pd.DataFrame) -> pa.Table | None:
    """The chunk as an Arrow table for COPY's CSV format, or None if a column needs Python per value.

    In the CSV Arrow writes every text value is quoted and a missing value is an unquoted empty field,
    which is exactly how COPY's CSV format tells '' from NULL.
    """
    arrays = []
    for name in chunk.columns:
        array = _arrow_column(chunk[name])
        if array is None:
            return None
        arrays.append(array)
    return pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])


def _arrow_column(column: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        if dtype.storage == "pyarrow":
            return column.array.__arrow_array__()
        return pa.array(column.to_numpy(dtype=object, na_value=None), type=pa.string(), from_pandas=True)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return pa.array(column, from_pandas=True)
    if pd.api.types.is_float_dtype(dtype):
        return pa.array(column.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if len(column) and _is_constant_instant(column):  # loaded_at: one instant, formatted once
            text = pa.array([column.iloc[0].isoformat()], type=pa.string())
            return pa.DictionaryArray.from_arrays(np.zeros(len(column), dtype=np.int32), text).cast(
                pa.string()
            )
        instants = pa.array(column, from_pandas=True)  # rounded to microseconds, as Postgres stores them
        rounded = pc.round_temporal(instants, unit="microsecond")
        return rounded.cast(pa.timestamp("us", instants.type.tz and "UTC"), safe=False)
    if pd.api.types.is_object_dtype(dtype):
        values = column.to_numpy(dtype=object)
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in ("string", "empty"):
            return pa.array(values, type=pa.string(), from_pandas=True)
        if kind == "date":
            return _dates(values)
        if kind == "boolean":
            return pa.array(values, type=pa.bool_(), from_pandas=True)
    return None


def _dates(values: np.ndarray) -> pa.Array:
    """Python dates (None for missing) as date32, converting each distinct date once."""
    codes, uniques = pd.factorize(values)
    distinct = pa.array(uniques.tolist() + [None], type=pa.date32())
    return distinct.take(pa.array(np.where(codes < 0, len(uniques), codes)))


NULL = "\\N"
_SPECIAL = ("\\", "\t", "\n", "\r")


def copy_text(column: pd.Series) -> Iterable[str]:
    """One column as COPY text-format fields (NULL is \\N), with as little per-value Python as can be."""
    missing = column.isna().to_numpy()
    dtype = column.dtype
    if len(column) and not missing.any() and _is_constant_instant(column):
        return repeat(column.iloc[0].isoformat(), len(column))
    values: list[str]
    if pd.api.types.is_bool_dtype(dtype):
        values = ["t" if v else "f" for v in column.fillna(False).to_numpy(dtype=bool).tolist()]
    elif pd.api.types.is_integer_dtype(dtype):
        values = list(map(str, column.fillna(0).to_numpy(dtype="int64").tolist()))
    elif pd.api.types.is_float_dtype(dtype):
        values = _by_distinct(column.fillna(0.0).to_numpy(dtype="float64"), repr)
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        values = ["" if pd.isna(v) else v.isoformat() for v in column.tolist()]
    else:
        objects = column.where(~missing, "").to_numpy(dtype=object)
        kind = pd.api.types.infer_dtype(objects, skipna=True)
        if kind == "string":
            values = _escaped(objects.tolist())
        elif kind == "date":
            values = _by_distinct(objects, lambda v: v.isoformat() if v != "" else "")
        else:
            values = _escaped([str(v) for v in objects.tolist()])
    if missing.any():
        values = [NULL if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return values


def _by_distinct(values: np.ndarray, text: Callable[[Any], str]) -> list[str]:
    """`text` applied once per distinct value (dates and prices repeat a lot), then spread back."""
    codes, uniques = pd.factorize(values)
    return np.array([text(v) for v in uniques.tolist()], dtype=object)[codes].tolist()


def _escaped(values: list[str]) -> list[str]:
    """Backslash, tab, newline, carriage return escaped (one scan of the joined text says if any occur)."""
    joined = "".join(values)
    if not any(ch in joined for ch in _SPECIAL):
        return values
    return [
        v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r") for v in values
    ]


def _is_constant_instant(column: pd.Series) -> bool:
    """Formatting a datetime column dominates; a column holding one instant (loaded_at) is a scalar."""
    return pd.api.types.is_datetime64_any_dtype(column) and bool((column == column.iloc[0]).all())
