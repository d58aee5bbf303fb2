"""Declarative, vectorised validation of a raw batch: columns present, types, required values, keys."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from jobsched.adapters.errors import BatchRejected

Kind = Literal["str", "int", "float", "date"]


@dataclass(frozen=True)
class Col:
    """One source column: its name in the payload, its name in the table, its type and rules."""

    source: str
    name: str = ""
    kind: Kind = "str"
    required: bool = True
    date_format: str = "%Y-%m-%d"
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    min_value: float | None = None
    upper: bool = False

    @property
    def target(self) -> str:
        return self.name or re.sub(r"[^0-9a-z]+", "_", self.source.lower()).strip("_")


def validate_frame(
    frame: pd.DataFrame,
    columns: tuple[Col, ...],
    *,
    adapter_key: str,
    source: str,
    key: tuple[str, ...] = (),
    allow_empty: bool = False,
) -> pd.DataFrame:
    """The typed frame (columns renamed to their targets) or BatchRejected naming column, row and value."""

    def reject(reason: str) -> BatchRejected:
        return BatchRejected(adapter_key, source, reason)

    present = [str(c) for c in frame.columns]
    missing = [c.source for c in columns if c.source not in present]
    if missing:
        raise reject(f"missing column(s) {missing}; the payload has columns {present}")
    if frame.empty and not allow_empty:
        raise reject("the batch is empty (0 rows)")
    frame = frame.reset_index(drop=True)
    typed = {col.target: _column(frame[col.source], col, reject) for col in columns}
    result = pd.DataFrame(typed, index=frame.index)
    if key and not result.empty:
        dup = result.duplicated(subset=list(key), keep=False)
        if dup.any():
            rows = (np.flatnonzero(dup.to_numpy())[:2] + 1).tolist()
            values = {k: _plain(result.at[rows[0] - 1, k]) for k in key}
            count = int(dup.sum())
            raise reject(f"duplicate key {values} at rows {rows[0]} and {rows[1]} ({count} rows share keys)")
    return result


def _column(raw: pd.Series, col: Col, reject: Callable[[str], BatchRejected]) -> pd.Series:
    text = _stripped(raw)
    blank = text == ""
    if col.required and blank.any():
        row = _first(blank)
        raise reject(f"column {col.source!r} row {row}: required value is empty ({int(blank.sum())} empty)")
    value, bad = _coerce(text, blank, col)
    if bad.any():
        row = _first(bad)
        raise reject(
            f"column {col.source!r} row {row}: value {text.iloc[row - 1]!r} is not a valid {_describe(col)}"
            f" ({int(bad.sum())} bad value(s))"
        )
    return value


_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() removes, ASCII part


def _stripped(raw: pd.Series) -> pd.Series:
    """The column as stripped strings ('' for missing) in an object Series.

    Stripping is a Python call per value; one scan of the joined column tells whether any value needs it.
    """
    values = raw.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = np.where(missing, "", values)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = np.array([str(v) for v in values.tolist()], dtype=object)
    text = pd.Series(values, index=raw.index, dtype=object)
    joined = "\x00".join(values.tolist())
    if not joined.isascii():
        return text.str.strip()
    for c in _ASCII_SPACE:  # a one-character search is a memchr; most columns hold no whitespace at all
        if c in joined and (
            joined.startswith(c) or joined.endswith(c) or f"\x00{c}" in joined or f"{c}\x00" in joined
        ):
            return text.str.strip()
    return text


def _coerce(text: pd.Series, blank: pd.Series, col: Col) -> tuple[pd.Series, pd.Series]:
    if col.kind == "str":
        value = text.str.upper() if col.upper else text
        bad = pd.Series(False, index=text.index)
        if col.choices is not None:
            bad |= ~blank & ~value.isin(col.choices)
        if col.pattern is not None and not _all_match(value[~blank], col.pattern):
            bad |= ~blank & ~value.str.fullmatch(col.pattern).fillna(False).astype(bool)
        return value.astype(object).where(~blank, None), bad
    # Numbers and dates repeat a lot (prices, listing dates): parse each distinct text once.
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    distinct = pd.Series(uniques, dtype=object)
    value, bad = _parse(distinct, distinct == "", col)
    bad_rows = pd.Series(bad.to_numpy()[codes], index=text.index)
    return pd.Series(value.array.take(codes), index=text.index), bad_rows


def _parse(text: pd.Series, blank: pd.Series, col: Col) -> tuple[pd.Series, pd.Series]:
    if col.kind in ("int", "float"):
        number = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64")
        bad = ~blank & (number.isna() | ~np.isfinite(number.fillna(0)))
        if col.kind == "int":
            bad |= ~blank & ~bad & (number.fillna(0) % 1 != 0)
        if col.min_value is not None:
            bad |= ~blank & ~bad & (number < col.min_value)
        if col.kind == "int":
            return number.where(~bad).astype("Int64"), bad
        return number, bad
    parsed = pd.to_datetime(text.where(~blank, None), format=col.date_format, errors="coerce")
    bad = ~blank & parsed.isna()
    return pd.Series(parsed.dt.date, index=text.index, dtype=object).where(~blank & ~bad, None), bad


_UNSAFE_IN_JOINED = (".", "[^", "\\W", "\\S", "\\D", "\\s", "\\x00", "\\0")


def _all_match(values: pd.Series, pattern: str) -> bool:
    """True if every value fully matches `pattern`, by one scan of the values joined with NUL.

    Only for patterns that cannot match the NUL separator; False means "check value by value".
    """
    if any(token in pattern for token in _UNSAFE_IN_JOINED) or re.compile(pattern).groups:
        return False
    joined = "\x00".join(values.to_numpy(dtype=object).tolist())
    return re.fullmatch(f"(?:{pattern})(?:\x00(?:{pattern}))*", joined) is not None


def _describe(col: Col) -> str:
    if col.kind == "date":
        return f"date ({col.date_format})"
    if col.choices is not None:
        return f"{col.source} (one of {', '.join(col.choices)})"
    if col.pattern is not None:
        return f"{col.source} (pattern {col.pattern})"
    kind = {"int": "integer", "float": "number", "str": "text"}[col.kind]
    return f"{kind} >= {col.min_value:g}" if col.min_value is not None else kind


def _first(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
