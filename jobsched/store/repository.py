"""Reading and writing the editable rows: job definitions, schedules, custom calendars."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import sqlalchemy as sa

from jobsched.domain.model import CalendarOverride, CustomCalendarSpec
from jobsched.store.rows import utc
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


class ParamsNotJson(ValueError):
    def __init__(self, job_key: str, raw: str, problem: str) -> None:
        super().__init__(f"params={raw!r}: not a JSON object ({problem}) in job definition {job_key!r}")


def job_definition_from_row(row: sa.RowMapping) -> JobDefinition:
    raw = row["params"] or "{}"
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParamsNotJson(row["job_key"], raw, str(exc)) from None
    if not isinstance(params, dict):
        raise ParamsNotJson(row["job_key"], raw, f"got {type(params).__name__}")
    return JobDefinition(
        job_key=row["job_key"],
        adapter=row["adapter"],
        params=params,
        description=row["description"],
        enabled=bool(row["enabled"]),
        id=row["id"],
        version=row["version"],
    )


def get_job_definition(engine: sa.Engine, job_key: str) -> JobDefinition | None:
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(job_definitions).where(job_definitions.c.job_key == job_key))
            .mappings()
            .first()
        )
    return job_definition_from_row(row) if row else None


def job_definition_rows(conn: sa.Connection) -> list[sa.RowMapping]:
    return list(conn.execute(sa.select(job_definitions).order_by(job_definitions.c.job_key)).mappings())


def schedule_rows(conn: sa.Connection, ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Every schedule row, or only those with the given ids (fetched in chunks)."""
    if ids is None:
        rows = conn.execute(sa.select(schedules).order_by(schedules.c.id)).mappings()
        return [_with_utc(dict(row)) for row in rows]
    wanted = sorted(set(ids))
    result: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        query = sa.select(schedules).where(schedules.c.id.in_(chunk)).order_by(schedules.c.id)
        result += [_with_utc(dict(row)) for row in conn.execute(query).mappings()]
    return result


def schedule_calendar_names(conn: sa.Connection) -> set[str | None]:
    return set(conn.execute(sa.select(schedules.c.calendar).distinct()).scalars())


def _with_utc(row: dict[str, Any]) -> dict[str, Any]:
    for column in ("start_at", "end_at", "created_at", "updated_at"):
        row[column] = utc(row[column])
    return row


def custom_calendars(conn: sa.Connection) -> tuple[dict[str, CustomCalendarSpec], dict[str, str]]:
    """Every custom calendar with its overrides, and the calendars whose rows are unusable (name -> why)."""
    overrides: dict[int, list[CalendarOverride]] = {}
    broken: dict[int, str] = {}
    for row in conn.execute(sa.select(calendar_overrides).order_by(calendar_overrides.c.day)).mappings():
        try:
            override = CalendarOverride(
                day=row["day"],
                kind=row["kind"],
                reason=row["reason"],
                open_time=parse_hhmm(row["open_time"]),
                close_time=parse_hhmm(row["close_time"]),
            )
        except ValueError as exc:
            broken[row["calendar_id"]] = f"calendar override on {row['day']}: {exc}"
            continue
        overrides.setdefault(row["calendar_id"], []).append(override)
    specs: dict[str, CustomCalendarSpec] = {}
    errors: dict[str, str] = {}
    for row in conn.execute(sa.select(calendars)).mappings():
        try:
            if row["id"] in broken:
                raise ValueError(broken[row["id"]])
            specs[row["name"]] = CustomCalendarSpec(
                name=row["name"],
                base=row["base"] or None,
                weekmask=row["weekmask"],
                timezone=row["timezone"],
                open_time=parse_hhmm(row["open_time"]) or time(9, 0),
                close_time=parse_hhmm(row["close_time"]) or time(17, 0),
                overrides=tuple(overrides.get(row["id"], ())),
                version=row["version"],
            )
        except ValueError as exc:
            errors[row["name"]] = str(exc)
    return specs, errors


def parse_hhmm(value: str | None) -> time | None:
    """'16:30' or '16:30:00' -> time; None stays None; anything else raises ValueError naming the value."""
    if value is None or value == "":
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a local time like '16:30'") from None
