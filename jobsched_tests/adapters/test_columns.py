"""Batch validation: every rejection names the column, the row and the value, and types come out right."""

from __future__ import annotations

from datetime import date

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
def test_bad_values_reject_the_batch(overrides: dict, expected: str) -> None:
    with pytest.raises(BatchRejected) as caught:
        check(frame(**overrides))
    assert expected in str(caught.value)
    assert str(caught.value).startswith("t: batch from src rejected, nothing loaded: ")


def test_missing_columns_are_listed() -> None:
    with pytest.raises(BatchRejected, match=r"missing column\(s\) \['Px', 'Side'\]; the payload has columns"):
        check(frame().drop(columns=["Px", "Side"]))


def test_an_empty_batch_is_rejected_unless_allowed() -> None:
    with pytest.raises(BatchRejected, match=r"the batch is empty \(0 rows\)"):
        check(frame().iloc[0:0])
    assert check(frame().iloc[0:0], allow_empty=True).empty


def test_duplicate_keys_name_the_key_and_rows() -> None:
    with pytest.raises(BatchRejected, match=r"duplicate key \{'symbol': 'ABC'\} at rows 1 and 3"):
        check(frame(Symbol=["abc", "def", "ABC"]), key=("symbol",))


@pytest.mark.parametrize("pad", [" ", "\t", "\x1f", "\xa0", "\u2003"])
def test_padding_is_stripped_wherever_it_is(pad: str) -> None:
    out = check(
        frame(
            Symbol=[f"{pad}abc", "DEF", f"ghi{pad}"],
            Side=["B", f"S{pad}", "B"],
            Qty=["10", f"{pad}20", "30"],
            Note=[pad, "x", ""],
        )
    )
    assert out["symbol"].tolist() == ["ABC", "DEF", "GHI"]
    assert out["side"].tolist() == ["B", "S", "B"]
    assert out["quantity"].tolist() == [10, 20, 30]
    assert out["note"].tolist() == [None, "x", None]


def test_a_pattern_that_could_span_values_is_checked_value_by_value() -> None:
    loose = (Col("Code", pattern=r"[^X]{3}"),)
    data = pd.DataFrame({"Code": ["ab", "cdefgh"]}, dtype=object)
    with pytest.raises(BatchRejected, match=r"column 'Code' row 1: value 'ab' is not a valid Code"):
        validate_frame(data, loose, adapter_key="t", source="src")
