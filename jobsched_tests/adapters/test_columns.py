"""Batch validation: every rejection names the column, the row and the value, and types come out right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest

from jobsched.adapters import BatchRejected
from jobsched.adapters.columns import Col, validate_frame

COLUMNS = (
    Col("Trade Date", kind="date", date_format="%d-%b-%Y"),
    Col("Symbol", upper=True),
    Col("Qty", "quantity", kind="int", min_value=0),
    Col("Px", "price", kind="float"),
    Col("Side", choices=("B", "S")),
    Col("Note", required=False),
)


def frame(**overrides: list[str]) -> pd.DataFrame:
    base = {
        "Trade Date": ["20-NOV-2026", "20-nov-2026", "20-Nov-2026"],
        "Symbol": ["abc", "DEF", "ghi"],
        "Qty": ["10", "20", "30"],
        "Px": ["1.5", "2", "1e3"],
        "Side": ["B", "S", "B"],
        "Note": ["", "x", ""],
    }
    return pd.DataFrame(base | overrides, dtype=object)


def arrow(data: pd.DataFrame) -> pd.DataFrame:
    """The frame as read_csv's Arrow reader delivers it: Arrow-backed strings (validated by Arrow kernels)."""
    return data.astype(pd.StringDtype("pyarrow", na_value=np.nan))


def same(data: pd.DataFrame) -> pd.DataFrame:
    return data


STORAGES = pytest.mark.parametrize("storage", [same, arrow], ids=["object", "arrow"])


def plain(values: pd.Series) -> list[object]:
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in values]


def check(data: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    return validate_frame(data, COLUMNS, adapter_key="t", source="src", **kwargs)  # type: ignore[arg-type]


def test_types_names_and_nulls() -> None:
    out = check(frame())
    assert list(out.columns) == ["trade_date", "symbol", "quantity", "price", "side", "note"]
    assert out["trade_date"].tolist() == [date(2026, 11, 20)] * 3
    assert out["symbol"].tolist() == ["ABC", "DEF", "GHI"]
    assert out["quantity"].tolist() == [10, 20, 30] and str(out["quantity"].dtype) == "Int64"
    assert out["price"].tolist() == [1.5, 2.0, 1000.0]
    assert out["note"].tolist() == [None, "x", None]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"Qty": ["10", "2.5", "x"]},
            "column 'Qty' row 2: value '2.5' is not a valid integer >= 0 (2 bad value(s))",
        ),
        ({"Qty": ["10", "-1", "3"]}, "column 'Qty' row 2: value '-1' is not a valid integer >= 0"),
        ({"Px": ["1", "inf", "3"]}, "column 'Px' row 2: value 'inf' is not a valid number"),
        ({"Symbol": ["a", " ", "c"]}, "column 'Symbol' row 2: required value is empty (1 empty)"),
        (
            {"Trade Date": ["20-NOV-2026", "2026-11-20", "x"]},
            "column 'Trade Date' row 2: value '2026-11-20' is not",
        ),
        ({"Side": ["B", "S", "BUY"]}, "column 'Side' row 3: value 'BUY' is not a valid Side (one of B, S)"),
    ],
)
@STORAGES
def test_bad_values_reject_the_batch(overrides: dict, expected: str, storage: Callable) -> None:
    with pytest.raises(BatchRejected) as caught:
        check(storage(frame(**overrides)))
    assert expected in str(caught.value)
    assert str(caught.value).startswith("t: batch from src rejected, nothing loaded: ")


def test_missing_columns_are_listed() -> None:
    with pytest.raises(BatchRejected, match=r"missing column\(s\) \['Px', 'Side'\]; the payload has columns"):
        check(frame().drop(columns=["Px", "Side"]))


def test_an_empty_batch_is_rejected_unless_allowed() -> None:
    with pytest.raises(BatchRejected, match=r"the batch is empty \(0 rows\)"):
        check(frame().iloc[0:0])
    assert check(frame().iloc[0:0], allow_empty=True).empty


@STORAGES
def test_duplicate_keys_name_the_key_and_rows(storage: Callable) -> None:
    with pytest.raises(BatchRejected, match=r"duplicate key \{'symbol': 'ABC'\} at rows 1 and 3"):
        check(storage(frame(Symbol=["abc", "def", "ABC"])), key=("symbol",))


@STORAGES
@pytest.mark.parametrize("pad", [" ", "\t", "\x1f", "\xa0", "\u2003"])
def test_padding_is_stripped_wherever_it_is(pad: str, storage: Callable) -> None:
    out = check(
        storage(
            frame(
                Symbol=[f"{pad}abc", "DEF", f"ghi{pad}"],
                Side=["B", f"S{pad}", "B"],
                Qty=["10", f"{pad}20", "30"],
                Note=[pad, "x", ""],
            )
        )
    )
    assert out["symbol"].tolist() == ["ABC", "DEF", "GHI"]
    assert out["side"].tolist() == ["B", "S", "B"]
    assert out["quantity"].tolist() == [10, 20, 30]
    assert plain(out["note"]) == [None, "x", None]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"Symbol": ["straße", "DEF", "ghi"]},  # non-ASCII under upper(): Python's rules decide
        {"Qty": ["1e1", "2.0", "+3"], "Px": ["-0", ".5", "1E-3"]},
        {"Trade Date": ["20-NOV-2026", "1-Jan-2026", "20-Nov-2026"]},
        {"Note": ["", " ", "\u2003ok"]},
    ],
)
def test_the_arrow_path_types_values_as_the_pandas_path_does(overrides: dict) -> None:
    expected, got = check(frame(**overrides)), check(arrow(frame(**overrides)))
    assert list(got.columns) == list(expected.columns)
    for name in expected.columns:
        assert plain(got[name]) == plain(expected[name]), name
    assert str(got["quantity"].dtype) == "Int64" and got["price"].dtype == "float64"
    side = got["side"].dtype  # strings stay in Arrow: no Python object per value
    assert isinstance(side, pd.StringDtype) and side.storage == "pyarrow"


@STORAGES
def test_a_pattern_that_could_span_values_is_checked_value_by_value(storage: Callable) -> None:
    loose = (Col("Code", pattern=r"[^X]{3}"),)
    data = storage(pd.DataFrame({"Code": ["ab", "cdefgh"]}, dtype=object))
    with pytest.raises(BatchRejected, match=r"column 'Code' row 1: value 'ab' is not a valid Code"):
        validate_frame(data, loose, adapter_key="t", source="src")


@STORAGES
def test_a_large_batch_checked_column_by_column_in_parallel_names_the_first_bad_column(
    storage: Callable,
) -> None:
    """Columns are validated side by side from 50k rows on; the report stays the first bad column's."""
    n = 60_000
    data = pd.DataFrame(
        {
            "Trade Date": ["20-Nov-2026"] * n,
            "Symbol": ["abc"] * n,
            "Qty": ["10"] * (n - 1) + ["x"],
            "Px": ["1.5"] * n,
            "Side": ["B"] * 40_000 + ["Q"] + ["S"] * (n - 40_001),
            "Note": [""] * n,
        },
        dtype=object,
    )
    with pytest.raises(BatchRejected, match=r"column 'Qty' row 60000: value 'x' is not a valid integer"):
        check(storage(data))
    data.loc[n - 1, "Qty"] = "10"
    with pytest.raises(BatchRejected, match=r"column 'Side' row 40001: value 'Q' is not a valid Side"):
        check(storage(data))
    data.loc[40_000, "Side"] = "S"
    out = check(storage(data))
    assert len(out) == n and out["quantity"].sum() == 10 * n


def test_the_arrow_trim_removes_exactly_what_str_strip_removes() -> None:
    from jobsched.adapters.columns import _PY_SPACE

    assert _PY_SPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
