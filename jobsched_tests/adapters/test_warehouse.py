"""replace_slice on SQLite and Postgres (COPY): values round-trip, slices are independent, concurrent loads
of one slice serialise instead of duplicating or failing."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from jobsched.adapters import pgbinary, warehouse
from jobsched.adapters.base import RunContext
from jobsched.adapters.warehouse import SLICE_CONSTANTS, replace_slice, slice_table, with_slice_columns
from jobsched.store.db import engine_for

notes = slice_table(
    "test_notes",
    sa.Column("note_id", sa.Integer, nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("amount", sa.Float),
    sa.Column("day", sa.Date),
    key=("note_id",),
)
BD = date(2026, 11, 20)
TRICKY = ["plain", 'comma, "quoted"', "multi\nline", "back\\slash", None, "", "ünïcödé", "tab\there\r", "\\N"]


def frame(n: int = len(TRICKY)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "note_id": list(range(n)),
            "text": [TRICKY[i % len(TRICKY)] for i in range(n)],
            "amount": [None if i % 3 == 0 else i / 4 for i in range(n)],
            "day": [None if i % 2 else date(2026, 1, 1 + i % 28) for i in range(n)],
        }
    )


def ctx(engine: sa.Engine, job_key: str, run_id: str, **kwargs: object) -> RunContext:
    return RunContext(job_key, BD, run_id, engine, logging.getLogger("test"), **kwargs)  # type: ignore[arg-type]


def rows(engine: sa.Engine, job_key: str) -> list[sa.Row]:
    with engine.connect() as conn:
        query = sa.select(notes).where(notes.c.job_key == job_key).order_by(notes.c.note_id)
        return list(conn.execute(query))


def test_values_round_trip(any_warehouse: sa.Engine) -> None:
    replace_slice(ctx(any_warehouse, "roundtrip", "r1"), notes, frame())
    got = rows(any_warehouse, "roundtrip")
    expected = frame()
    assert [
        r.text for r in got
    ] == TRICKY  # quotes, commas, newlines, backslashes; None stays NULL, "" stays ""
    assert [r.amount for r in got] == [None if pd.isna(v) else v for v in expected["amount"]]
    assert [r.day for r in got] == list(expected["day"])
    assert {r.business_date for r in got} == {BD} and {r.run_id for r in got} == {"r1"}


def test_slices_of_other_jobs_and_dates_are_untouched(any_warehouse: sa.Engine) -> None:
    replace_slice(ctx(any_warehouse, "a", "r1"), notes, frame(5))
    replace_slice(ctx(any_warehouse, "b", "r2"), notes, frame(3))
    replace_slice(ctx(any_warehouse, "a", "r3"), notes, frame(2))
    assert [r.run_id for r in rows(any_warehouse, "a")] == ["r3", "r3"]
    assert [r.run_id for r in rows(any_warehouse, "b")] == ["r2"] * 3


def test_concurrent_loads_of_one_slice_serialise(any_warehouse: sa.Engine) -> None:
    errors: list[BaseException] = []

    def load(run_id: str, n: int) -> None:
        try:
            slow = ctx(any_warehouse, "race", run_id, chunk_rows=50, on_chunk=lambda _: time.sleep(0.05))
            replace_slice(slow, notes, frame(n))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(f"run{i}", 200 + i)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = rows(any_warehouse, "race")
    assert len({r.run_id for r in final}) == 1  # exactly one complete load, never a mix
    assert len(final) == 200 + int(final[0].run_id[-1])


typed = slice_table(
    "test_typed",
    sa.Column("item_id", sa.BigInteger, nullable=False),
    sa.Column("label", sa.String(40)),
    sa.Column("qty", sa.Integer),
    sa.Column("px", sa.Float),
    sa.Column("day", sa.Date),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("flag", sa.Boolean),
    key=("item_id",),
)
LABELS = ['comma, "quoted"', None, "", "multi\nline \\N ünï"]


def typed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": pd.array([1, 2, 3, 2**40], dtype="Int64"),
            "label": pd.Series(LABELS, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),  # as validated
            "qty": pd.array([1, None, -5, 2**31 - 1], dtype="Int64"),
            "px": [0.1, np.nan, 1e300, -2.5],
            "day": [date(2026, 1, 2), None, date(1999, 12, 31), date(2000, 1, 1)],
            "at": pd.to_datetime(
                ["2026-01-01T00:00:00.1234567Z", None, "1970-01-01T00:00:00Z", "2100-02-28T00:00:00Z"],
                format="ISO8601",
            ),
            "flag": [True, False, None, True],
        }
    )


EXPECTED = [
    (1, LABELS[0], 1, 0.1, date(2026, 1, 2), datetime(2026, 1, 1, 0, 0, 0, 123457, tzinfo=UTC), True),
    (2, None, None, None, None, None, False),
    (3, "", -5, 1e300, date(1999, 12, 31), datetime(1970, 1, 1, tzinfo=UTC), None),
    (2**40, LABELS[3], 2**31 - 1, -2.5, date(2000, 1, 1), datetime(2100, 2, 28, tzinfo=UTC), True),
]


@pytest.mark.parametrize("encoding", ["binary", "csv", "text"])
def test_every_copy_encoding_loads_the_same_values(
    pg_warehouse_url: str, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """Binary COPY (the default for these types), Arrow's CSV and COPY text store identical rows."""
    engine = engine_for(pg_warehouse_url)
    rows_in = with_slice_columns(typed_frame(), "enc", BD, "r1")
    assert (pgbinary.encode(typed, rows_in, SLICE_CONSTANTS) is not None) is True
    if encoding != "binary":
        monkeypatch.setattr(pgbinary, "encode", lambda *args, **kwargs: None)
    if encoding == "text":
        monkeypatch.setattr(warehouse, "arrow_table", lambda chunk: None)
    assert replace_slice(ctx(engine, f"enc-{encoding}", "r1", chunk_rows=3), typed, typed_frame()) == 4
    with engine.connect() as conn:
        query = sa.select(*(typed.c[name] for name in typed_frame().columns), typed.c.run_id)
        got = conn.execute(query.where(typed.c.job_key == f"enc-{encoding}").order_by(typed.c.item_id)).all()
    assert [tuple(r)[:-1] for r in got] == EXPECTED
    assert {r.run_id for r in got} == {"r1"}
