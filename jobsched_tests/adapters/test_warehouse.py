"""replace_slice on SQLite and Postgres (COPY): values round-trip, slices are independent, concurrent loads
of one slice serialise instead of duplicating or failing."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

import pandas as pd
import sqlalchemy as sa

from jobsched.adapters.base import RunContext
from jobsched.adapters.warehouse import replace_slice, slice_table

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
