"""Turning payloads into raw frames (every value a string, as delivered) and rule checks on typed frames."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from isal import igzip

from jobsched.adapters.errors import BatchRejected


def read_csv(data: bytes | Path, *, adapter_key: str, source: str) -> pd.DataFrame:
    """A CSV payload as strings; a BatchRejected naming the parse problem if it is not valid CSV.

    Arrow's multi-threaded reader parses the common case (a plain header, every row complete) into
    Arrow-backed string columns; anything else, including every file it cannot parse, goes through pandas'
    parser, whose results and error messages are the reference. Blanks leading an unquoted field are kept
    as delivered by Arrow (pandas skips them); `validate_frame` strips every value either way.
    """
    fast = _arrow_csv(data)
    if fast is not None:
        return fast
    target = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        frame = pd.read_csv(
            target,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            encoding="utf-8-sig",
            compression="infer" if isinstance(data, Path) else None,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, EOFError, zlib.error) as exc:
        raise BatchRejected(adapter_key, source, f"not a valid CSV file: {_first_line(exc)}") from None
    except OSError as exc:  # gzip.BadGzipFile and friends
        raise BatchRejected(adapter_key, source, f"cannot read the file: {_first_line(exc)}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    trailing = [c for c in frame.columns if c.startswith("Unnamed:") and (frame[c] == "").all()]
    return frame.drop(columns=trailing)


_OTHER_COMPRESSIONS = (".zip", ".bz2", ".xz", ".zst", ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst")


def _arrow_csv(data: bytes | Path) -> pd.DataFrame | None:
    """The payload parsed by Arrow as pandas string columns, or None if pandas must decide."""
    try:
        if isinstance(data, Path):
            suffix = data.suffix.lower()
            if suffix in _OTHER_COMPRESSIONS:
                return None
            data = igzip.decompress(data.read_bytes()) if suffix == ".gz" else data.read_bytes()
        names = _plain_header(data)
        quoted = b'"' in data
        # pandas reads `, "a,b"` as one quoted field (skipinitialspace): leave those files to it
        if names is None or (quoted and re.search(rb'[,\r\n][ \t]+"', data)):
            return None
        fields = [f"f{i}" for i in range(len(names))]
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=fields, block_size=1 << 20),
            # quoted values may hold line breaks; without quotes the blocks are split in parallel
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(fields, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError, EOFError, zlib.error, ValueError):
        return None
    frame = table.to_pandas()
    frame.columns = names
    return frame


def _plain_header(data: bytes) -> list[str] | None:
    """The header's column names if it is a plain line pandas would read the same way, else None."""
    end = data.find(b"\n", 0, 1 << 16)
    if end < 0:
        return None
    try:
        line = data[:end].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if '"' in line or not line.strip():
        return None
    names = [name.strip() for name in next(csv.reader([line]))]
    if any(not name or name.startswith("Unnamed:") for name in names) or len(set(names)) != len(names):
        return None
    return names


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def first_violation(
    frame: pd.DataFrame, bad: pd.Series, column: str, rule: str, label: str = ""
) -> str | None:
    """'column X row N: value V <rule> (k rows)' for the first True of `bad`, or None.

    `column` is the typed frame's column; `label` the name the payload uses for it (default: the same).
    """
    if not bad.any():
        return None
    positions = np.flatnonzero(bad.to_numpy())
    value = frame.iloc[positions[0]][column]
    shown = value.isoformat() if isinstance(value, date) else _plain(value)
    return (
        f"column {label or column!r} row {positions[0] + 1}: value {shown!r} {rule} ({len(positions)} row(s))"
    )


def not_business_date(frame: pd.DataFrame, column: str, business_date: date, label: str = "") -> str | None:
    bad = frame[column] != business_date
    return first_violation(frame, bad, column, f"is not the business date {business_date.isoformat()}", label)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def positions_problem(
    frame: pd.DataFrame,
    business_date: date,
    account: str,
    date_column: str,
    labels: tuple[str, str, str] = ("", "", ""),
) -> str | None:
    """The checks of a positions file (custodian positions, broker holdings), or None: every row is dated
    the business date and belongs to `account`, and market_value is quantity x price (within 0.5% + 0.01).
    `labels` name the file's date, account and market value columns in the messages."""
    date_label, acct_label, value_label = labels
    value_off = (frame["quantity"] * frame["price"] - frame["market_value"]).abs() > (
        0.005 * frame["market_value"].abs() + 0.01
    )
    return (
        not_business_date(frame, date_column, business_date, date_label)
        or first_violation(frame, frame["account"] != account, "account", f"is not {account!r}", acct_label)
        or first_violation(frame, value_off, "market_value", "is not Quantity x Price", value_label)
    )
