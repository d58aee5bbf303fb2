"""Schedules: list, show, create, edit, delete. Validation is ScheduleFields (via ScheduleInput) plus the
engine's own acceptance check, so a row the API accepts is a row the engine runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from enum import Enum
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from jobsched.domain.calendars import InvalidCalendar, UnknownCalendar, is_exchange_code
from jobsched.domain.model import FireStatus, Schedule
from jobsched.domain.validation import RowInvalid, clip
from jobsched.engine import Snapshot, calendar_for, load_snapshot, validated
from jobsched.service.common import Page, check_id, check_key, guarded_update, hhmm, require_version
from jobsched.service.errors import Conflict, Invalid, NotFound, problems_from_validation
from jobsched.service.models import PauseInput, ScheduleInput, ScheduleOut
from jobsched.store.decode import read_rows, readable
from jobsched.store.schema import fire_ledger, schedule_state, schedules

KIND = "schedule"
_NOT_EDITABLE = {"id", "created_at", "updated_at", "version"}
COLUMNS = [column.name for column in schedules.columns if column.name not in _NOT_EDITABLE]


def list_schedules(engine: sa.Engine, page: Page | None = None, **filters: Any) -> list[ScheduleOut]:
    """Every schedule (bad rows included, with their problem), optionally filtered by column values:
    job_key, calendar, enabled, paused."""
    with engine.connect() as conn:
        snapshot = load_snapshot(conn)
    wanted = {key: value for key, value in filters.items() if value is not None}
    rows = [row for row in snapshot.schedule_rows if all(row.get(k) == v for k, v in wanted.items())]
    return [to_out(snapshot, row) for row in (page or Page()).take(rows)]


def get_schedule(engine: sa.Engine, ref: int | str) -> ScheduleOut:
    with engine.connect() as conn:
        row = find_row(conn, ref)
        snapshot = load_snapshot(conn)
    return to_out(snapshot, row)


def create_schedule(engine: sa.Engine, data: Mapping[str, Any], now: datetime) -> ScheduleOut:
    with engine.begin() as conn:
        fields, _ = validate_schedule(conn, data, now)
        _check_name_free(conn, fields.name)
        new_id = conn.execute(
            sa.insert(schedules).values(**to_columns(fields)).returning(schedules.c.id)
        ).scalar_one()
    return get_schedule(engine, new_id)


def update_schedule(
    engine: sa.Engine, schedule_id: int, patch: Mapping[str, Any], expected_version: int | None, now: datetime
) -> ScheduleOut:
    with engine.begin() as conn:
        row = find_row(conn, schedule_id)
        require_version(KIND, schedule_id, row["version"], expected_version)
        merged = {column: row[column] for column in COLUMNS} | dict(patch)
        fields, _ = validate_schedule(conn, merged, now, schedule_id)
        if fields.name != row["name"]:
            _check_name_free(conn, fields.name)
        guarded_update(conn, schedules, row, to_columns(fields), KIND, schedule_id)
    return get_schedule(engine, schedule_id)


def pause_schedule(
    engine: sa.Engine, ref: int | str, reason: str, expected_version: int | None = None
) -> ScheduleOut:
    """Fires while paused become `paused` skips. The version is optional here: pausing twice is harmless."""
    try:
        reason = PauseInput(reason=reason, version=expected_version).reason
    except ValidationError as exc:
        raise Invalid(problems_from_validation(exc, {"reason": reason}), "pause") from None
    return _set_paused(engine, ref, True, reason, expected_version)


def resume_schedule(engine: sa.Engine, ref: int | str, expected_version: int | None = None) -> ScheduleOut:
    return _set_paused(engine, ref, False, None, expected_version)


def _set_paused(
    engine: sa.Engine, ref: int | str, paused: bool, reason: str | None, expected_version: int | None
) -> ScheduleOut:
    with engine.begin() as conn:
        row = find_row(conn, ref)
        schedule_id = row["id"]
        require_version(KIND, schedule_id, row["version"], expected_version, required=False)
        guarded_update(
            conn,
            schedules,
            row,
            {"paused": paused, "pause_reason": reason if paused else None},
            KIND,
            schedule_id,
        )
    return get_schedule(engine, schedule_id)


def delete_schedule(engine: sa.Engine, schedule_id: int, expected_version: int | None) -> None:
    """Deletes the row with its planning state and ledger (ids can be reused on SQLite, so no history may
    outlive its row). Refused while a fire of it is requested or running; disable the row to keep history."""
    with engine.begin() as conn:
        row = find_row(conn, schedule_id)
        require_version(KIND, schedule_id, row["version"], expected_version)
        in_flight = conn.execute(
            sa.select(sa.func.count())
            .select_from(fire_ledger)
            .where(
                fire_ledger.c.schedule_id == schedule_id,
                fire_ledger.c.status.in_([FireStatus.REQUESTED.value, FireStatus.RUNNING.value]),
            )
        ).scalar_one()
        if in_flight:
            raise Conflict(
                f"schedule {schedule_id} has {in_flight} fire(s) requested or running; wait for them to "
                "finish (or set enabled=false to stop it and keep its history)"
            )
        deleted = conn.execute(
            sa.delete(schedules).where(schedules.c.id == schedule_id, schedules.c.version == row["version"])
        ).rowcount
        if deleted != 1:
            require_version(KIND, schedule_id, _current_version(conn, schedule_id), row["version"])
        conn.execute(sa.delete(fire_ledger).where(fire_ledger.c.schedule_id == schedule_id))
        conn.execute(sa.delete(schedule_state).where(schedule_state.c.schedule_id == schedule_id))


def validate_schedule(
    conn: sa.Connection, data: Mapping[str, Any], now: datetime, schedule_id: int = 0, draft: bool = False
) -> tuple[ScheduleInput, Schedule]:
    """Raise Invalid naming every bad field and its value; return the validated fields and the Schedule.

    A draft (preview of an unsaved row) may leave out name and job_key."""
    snapshot = load_snapshot(conn)
    data = _canonical_calendar(dict(data))
    if draft and data.get("name") is None:
        data["name"] = "draft"
    context = {
        "known_calendars": snapshot.known_calendars,
        "known_jobs": None if draft and not data.get("job_key") else snapshot.known_jobs,
    }
    if draft and data.get("job_key") is None:
        data["job_key"] = "draft"
    try:
        fields = ScheduleInput.model_validate(data, context=context)
    except ValidationError as exc:
        raise Invalid(problems_from_validation(exc, data), KIND) from None
    row = {**to_columns(fields), "id": schedule_id, "version": 1, "updated_at": now}
    try:
        if draft:
            schedule = fields.to_schedule(schedule_id)
            if schedule.calendar in snapshot.calendar_errors:
                raise RowInvalid("calendar", schedule.calendar, snapshot.calendar_errors[schedule.calendar])
        else:
            schedule, _ = validated(snapshot, row)
        calendar_for(snapshot, schedule, now)
    except RowInvalid as exc:
        raise Invalid.one(exc.field, exc.value, exc.message, KIND) from None
    except (UnknownCalendar, InvalidCalendar) as exc:
        raise Invalid.one("calendar", fields.calendar, str(exc), KIND) from None
    return fields, schedule


def to_columns(fields: ScheduleInput) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in COLUMNS:
        value = getattr(fields, column)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, time):
            value = hhmm(value)
        values[column] = value
    return values


def to_out(snapshot: Snapshot, row: Mapping[str, Any]) -> ScheduleOut:
    """The row as stored; a row that cannot be used (or read) names its column and value in `problem`."""
    problem = None
    try:
        validated(snapshot, row)
    except (RowInvalid, KeyError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        problem = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {clip(str(exc))}"
    stored = snapshot.states.get(row["id"])
    return ScheduleOut(
        **readable(dict(row)), problem=problem, quarantined=clip(stored.error) if stored else None
    )


def find_row(conn: sa.Connection, ref: int | str) -> dict[str, Any]:
    """A schedule by id, or (CLI) by id given as text or by name."""
    if isinstance(ref, str) and ref.isdigit():
        ref = int(ref)
    if isinstance(ref, int):
        condition = schedules.c.id == check_id(KIND, ref)
    else:
        condition = schedules.c.name == check_key(KIND, ref)
    rows = read_rows(conn, schedules, condition)
    if not rows:
        raise NotFound(KIND, ref)
    return rows[0]


def _current_version(conn: sa.Connection, schedule_id: int) -> int:
    version = conn.execute(sa.select(schedules.c.version).where(schedules.c.id == schedule_id)).scalar()
    if version is None:
        raise NotFound(KIND, schedule_id)
    return int(version)


def _check_name_free(conn: sa.Connection, name: str) -> None:
    existing = conn.execute(sa.select(schedules.c.id).where(schedules.c.name == name)).scalar()
    if existing is not None:
        raise Conflict(f"name={name!r}: a schedule with this name already exists (id {existing})")


def _canonical_calendar(data: dict[str, Any]) -> dict[str, Any]:
    """Exchange aliases ('NYSE') are stored as their code ('XNYS'), which is what the engine knows."""
    name = data.get("calendar")
    if isinstance(name, str) and is_exchange_code(name):
        import exchange_calendars as xcals

        data["calendar"] = xcals.resolve_alias(name)
    return data
