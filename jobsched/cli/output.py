"""Printing for the CLI: readable tables, JSON, and errors rendered like the API's."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from pydantic import BaseModel

from jobsched.domain.validation import clip
from jobsched.service.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])
MAX_CELL = 60


class CliError(click.ClickException):
    """Exit code 1 with the service's message (the same words the API answers with)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:  # noqa: ANN401
        echo(f"error: {self.format_message()}", err=True)


def reports_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ServiceError as exc:
            raise CliError(exc.lines()) from None
        except sa.exc.OperationalError as exc:
            first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise CliError([f"the jobsched database is not reachable: {first}"]) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a person gets one line, never a traceback
            raise CliError([f"unexpected {type(exc).__name__}: {clip(str(exc))}"]) from None

    return wrapper  # type: ignore[return-value]


# Control characters (ESC and the other C0/C1 codes, DEL) and bidi overrides a row may hold are printed
# as visible escapes: stored text never drives the terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    return _CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def echo(message: Any = "", err: bool = False, nl: bool = True) -> None:  # noqa: ANN401
    """click.echo with stored control characters neutralised."""
    click.echo(safe(str(message)), err=err, nl=nl)


def invalid(problem: str | None) -> str | None:
    """How lists mark a row that cannot be used: INVALID and why (column=value: message)."""
    return f"INVALID: {problem}" if problem else None


def plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S%z").replace("+0000", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Aligned columns; `columns` are (header, key). Long cells are cut with '…'."""
    if not rows:
        echo("(none)")
        return
    cells = [[_cut(plain(row.get(key))) for _, key in columns] for row in rows]
    widths = [max(len(header), *(len(line[i]) for line in cells)) for i, (header, _) in enumerate(columns)]
    echo("  ".join(header.upper().ljust(width) for (header, _), width in zip(columns, widths, strict=True)))
    for line in cells:
        echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def record(model: BaseModel, skip: Sequence[str] = ()) -> None:
    """One row as `field: value` lines."""
    data = model.model_dump()
    width = max(len(key) for key in data)
    for key, value in data.items():
        if key in skip or isinstance(value, list):
            continue
        echo(f"{key.ljust(width)}  {plain(value)}")


def as_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        click.echo(value.model_dump_json(indent=2))
    elif isinstance(value, list):
        click.echo(
            json.dumps(
                [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value], indent=2
            )
        )
    else:
        click.echo(json.dumps(value, indent=2, default=str))


def _cut(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
