"""Reading and writing the editable rows: job definitions, schedules, custom calendars."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import sqlalchemy as sa

from jobsched.domain.model import CalendarOverride, CustomCalendarSpec
from jobsched.domain.validation import (
    MAX_JSON_DEPTH,
    RowInvalid,
    clip,
    json_depth,
    key_problem,
    zone_problem,
)
from jobsched.store.decode import read_rows, unreadable
from jobsched.store.schema import calendar_overrides, calendars, job_definitions, schedules


@dataclass(frozen=True)
class JobDefinition:
    job_key: str
    adapter: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    enabled: bool = True
    id: int | None = None
    version: int = 1
    max_runtime_seconds: int | None = None
    deadline: str | None = None


class ParamsNotJson(ValueError):
    def __init__(self, job_key: str, raw: str, problem: str) -> None:
        super().__init__(
            f"params={clip(raw)!r}: not a JSON object ({problem}) in job definition {clip(job_key)!r}"
        )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def job_definition_from_row(row: Mapping[str, Any]) -> JobDefinition:
    for column, value in unreadable(dict(row)).items():
        raise RowInvalid(column, value, f"cannot be read as stored in job definition {row['job_key']!r}")
    key_error = key_problem(row["job_key"])
    if key_error:
        raise RowInvalid("job_key", row["job_key"], key_error)
    raw = row["params"] or "{}"
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ParamsNotJson(row["job_key"], raw, f"nested more than {MAX_JSON_DEPTH} deep")
    try:
        params = json.loads(raw, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise ParamsNotJson(row["job_key"], raw, str(exc)) from None
    if not isinstance(params, dict):
        raise ParamsNotJson(row["job_key"], raw, f"got {type(params).__name__}")
    max_runtime = row.get("max_runtime_seconds")
    if max_runtime is not None and max_runtime <= 0:
        raise ValueError(
            f"max_runtime_seconds={max_runtime!r}: must be a positive number of seconds "
            f"in job definition {row['job_key']!r}"
        )
    return JobDefinition(
        job_key=row["job_key"],
        adapter=row["adapter"],
        params=params,
        description=row["description"],
        enabled=bool(row["enabled"]),
        id=row["id"],
        version=row["version"],
        max_runtime_seconds=row.get("max_runtime_seconds"),
        deadline=row.get("deadline"),
    )


def get_job_definition(engine: sa.Engine, job_key: str) -> JobDefinition | None:
    with engine.connect() as conn:
        rows = read_rows(conn, job_definitions, job_definitions.c.job_key == job_key)
    return job_definition_from_row(rows[0]) if rows else None


def job_definition_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    return read_rows(conn, job_definitions, order_by=job_definitions.c.job_key)


def schedule_rows(conn: sa.Connection, ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Every schedule row, or only those with the given ids (fetched in chunks); columns that cannot be read
    are listed under the row's UNREADABLE key."""
    if ids is None:
        return read_rows(conn, schedules, order_by=schedules.c.id)
    wanted = sorted(set(ids))
    result: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        result += read_rows(conn, schedules, schedules.c.id.in_(chunk), order_by=schedules.c.id)
    return result


def schedule_calendar_names(conn: sa.Connection) -> set[str | None]:
    return set(conn.execute(sa.select(schedules.c.calendar).distinct()).scalars())


def custom_calendars(conn: sa.Connection) -> tuple[dict[str, CustomCalendarSpec], dict[str, str]]:
    """Every custom calendar with its overrides, and the calendars whose rows are unusable (name -> why)."""
    overrides: dict[int, list[CalendarOverride]] = {}
    broken: dict[int, str] = {}
    for row in read_rows(conn, calendar_overrides, order_by=calendar_overrides.c.day):
        try:
            override = override_from_row(row)
        except ValueError as exc:
            broken[row["calendar_id"]] = f"calendar override on {clip(row['day'])}: {exc}"
            continue
        overrides.setdefault(row["calendar_id"], []).append(override)
    specs: dict[str, CustomCalendarSpec] = {}
    errors: dict[str, str] = {}
    for row in read_rows(conn, calendars):
        try:
            for column, value in unreadable(row).items():
                raise RowInvalid(column, value, "cannot be read as stored")
            if row["id"] in broken:
                raise ValueError(broken[row["id"]])
            for column, check in (("name", key_problem), ("timezone", zone_problem)):
                problem = check(row[column])
                if problem:
                    raise RowInvalid(column, row[column], problem)
            open_time = parse_hhmm(row["open_time"]) or time(9, 0)
            close_time = parse_hhmm(row["close_time"]) or time(17, 0)
            _check_session(row, open_time, close_time)
            specs[row["name"]] = CustomCalendarSpec(
                name=row["name"],
                base=row["base"] or None,
                weekmask=row["weekmask"],
                timezone=row["timezone"],
                open_time=open_time,
                close_time=close_time,
                overrides=tuple(overrides.get(row["id"], ())),
                version=row["version"],
            )
        except ValueError as exc:
            errors[row["name"]] = str(exc)
    return specs, errors


def override_from_row(row: Mapping[str, Any]) -> CalendarOverride:
    """A stored calendar override; raises ValueError (RowInvalid) naming the column that is unusable."""
    for column, value in unreadable(dict(row)).items():
        raise RowInvalid(column, value, "cannot be read as stored")
    override = CalendarOverride(
        day=row["day"],
        kind=row["kind"],
        reason=row["reason"],
        open_time=parse_hhmm(row["open_time"]),
        close_time=parse_hhmm(row["close_time"]),
    )
    if override.open_time and override.close_time:
        _check_session(row, override.open_time, override.close_time)
    return override


def _check_session(row: Mapping[str, Any], open_time: time, close_time: time) -> None:
    if close_time <= open_time:
        raise RowInvalid("close_time", row["close_time"], f"must be after open_time {row['open_time']}")


def parse_hhmm(value: str | None) -> time | None:
    """'16:30' or '16:30:00' -> time; None stays None; anything else raises ValueError naming the value."""
    if value is None or value == "":
        return None
    try:
        return time.fromisoformat(value)
    except (ValueError, TypeError):
        raise ValueError(f"{value!r} is not a local time like '16:30'") from None
