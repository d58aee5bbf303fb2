"""Declarative, vectorised validation of a raw batch: columns present, types, required values, keys."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from jobsched.adapters.errors import BatchRejected

Kind = Literal["str", "int", "float", "date"]

_PARALLEL_ROWS = 50_000  # below this, threads cost more than they save


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
    if len(frame) >= _PARALLEL_ROWS and len(columns) > 1:
        # Arrow kernels release the GIL: columns are checked side by side; the first bad column in
        # declaration order is still the one reported.
        with ThreadPoolExecutor(max_workers=min(len(columns), max(2, os.cpu_count() or 2))) as pool:
            futures = {col.target: pool.submit(_column, frame[col.source], col, reject) for col in columns}
            typed = {target: future.result() for target, future in futures.items()}
    else:
        typed = {col.target: _column(frame[col.source], col, reject) for col in columns}
    result = pd.DataFrame(typed, index=frame.index)
    if key and not result.empty and not _surely_unique(result, key):
        dup = result.duplicated(subset=list(key), keep=False)
        if dup.any():
            rows = (np.flatnonzero(dup.to_numpy())[:2] + 1).tolist()
            values = {k: _plain(result.at[rows[0] - 1, k]) for k in key}
            count = int(dup.sum())
            raise reject(f"duplicate key {values} at rows {rows[0]} and {rows[1]} ({count} rows share keys)")
    return result


def _column(raw: pd.Series, col: Col, reject: Callable[[str], BatchRejected]) -> pd.Series:
    fast = _arrow_column(raw, col)
    if fast is not None:
        return fast
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


# --- Arrow path: Arrow-backed string columns (read_csv's) checked by compute kernels, no Python per value.
# It only ever accepts: at the first doubt (a bad value, text it cannot judge exactly like the Python rules,
# e.g. non-ASCII text under a pattern) it returns None and the pandas path below decides and words the error.

#: exactly what str.strip() removes: every code point whose str.isspace() is true (a test checks it)
_PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _arrow_text(raw: pd.Series) -> pa.ChunkedArray | None:
    """The column's Arrow strings, without a copy, if it is Arrow-backed; else None."""
    if not isinstance(raw.dtype, pd.StringDtype) or raw.dtype.storage != "pyarrow" or raw.empty:
        return None
    array = raw.array.__arrow_array__()
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _arrow_column(raw: pd.Series, col: Col) -> pd.Series | None:
    text = _arrow_text(raw)
    if text is None:
        return None
    try:
        text = text.fill_null("")
        ascii_only = _all(pc.string_is_ascii(text))
        text = pc.ascii_trim(text, _ASCII_SPACE) if ascii_only else pc.utf8_trim(text, _PY_SPACE)
        blank = pc.equal(text, "")
        if col.required and _any(blank):
            return None
        if col.kind == "str":
            values = _arrow_str(text, blank, col, ascii_only)
        elif col.kind in ("int", "float"):
            values = _arrow_number(text, blank, col)
        else:
            values = _arrow_date(text, col)
    except pa.ArrowException:  # e.g. a number Arrow cannot parse, a pattern RE2 does not support
        return None
    return None if values is None else pd.Series(values, index=raw.index)


def _arrow_str(
    text: pa.ChunkedArray, blank: pa.ChunkedArray, col: Col, ascii_only: bool
) -> pd.api.extensions.ExtensionArray | None:
    value = text
    if (col.upper or col.pattern is not None) and not ascii_only:
        return None  # Python's upper() and re differ from Arrow's beyond ASCII
    if col.upper:
        value = pc.ascii_upper(value)
    if col.choices is not None:
        allowed = pc.is_in(value, value_set=pa.array(col.choices, type=value.type))
        if not _all(pc.or_(blank, allowed)):
            return None
    if col.pattern is not None:  # RE2: `$` matches at the end of the text only, as fullmatch does
        matched = pc.match_substring_regex(value, f"^(?:{col.pattern})$")
        if not _all(pc.or_(blank, matched)):
            return None
    value = pc.if_else(blank, pa.scalar(None, value.type), value)
    return value.to_pandas().array


def _arrow_number(text: pa.ChunkedArray, blank: pa.ChunkedArray, col: Col) -> np.ndarray | None:
    number = pc.cast(pc.if_else(blank, pa.scalar(None, text.type), text), pa.float64())  # raises if bad
    present = pc.drop_null(number)
    if len(present):
        if not _all(pc.is_finite(present)):
            return None
        if col.kind == "int" and not _all(pc.equal(pc.floor(present), present)):
            return None
        if col.min_value is not None and _any(pc.less(present, col.min_value)):
            return None
    if col.kind == "int":
        ints = pc.cast(number, pa.int64())
        return ints.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array
    return number.to_numpy()


def _arrow_date(text: pa.ChunkedArray, col: Col) -> np.ndarray | None:
    """Each distinct text parsed once by the pandas rules, then spread back by dictionary codes."""
    encoded = text.combine_chunks().dictionary_encode()
    distinct = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
    value, bad = _parse(distinct, distinct == "", col)
    if bad.any():
        return None
    return value.to_numpy(dtype=object)[encoded.indices.to_numpy()]


def _all(mask: pa.ChunkedArray | pa.Array) -> bool:
    return bool(pc.all(mask).as_py())


def _any(mask: pa.ChunkedArray | pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def _surely_unique(frame: pd.DataFrame, key: tuple[str, ...]) -> bool:
    """True if a one-column Arrow-backed text key holds each value once (one hash pass, no Python)."""
    text = _arrow_text(frame[key[0]]) if len(key) == 1 else None
    return text is not None and len(pc.unique(text)) == len(text)


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
