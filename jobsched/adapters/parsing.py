"""Turning payloads into raw frames (every value a string, as delivered) and rule checks on typed frames."""

from __future__ import annotations

import io
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from jobsched.adapters.errors import BatchRejected


def read_csv(data: bytes | Path, *, adapter_key: str, source: str) -> pd.DataFrame:
    """A CSV payload as strings; a BatchRejected naming the parse problem if it is not valid CSV."""
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
