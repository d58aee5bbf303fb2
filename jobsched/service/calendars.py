"""Exchange calendars (read-only) and custom calendars with their dated overrides (editable)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from jobsched.domain.calendars import (
    EXCHANGE_CODES,
    InvalidCalendar,
    UnknownCalendar,
    custom_calendar,
    exchange_calendar,
    is_exchange_code,
)
from jobsched.domain.model import CalendarOverride, CustomCalendarSpec
from jobsched.domain.validation import clip
from jobsched.service.common import Page, check_key, guarded_update, require_version, valid_zone
from jobsched.service.errors import Conflict, Invalid, NotFound, problems_from_validation
from jobsched.service.models import CalendarInput, CalendarOut, ExchangeOut, OverrideInput, OverrideOut
from jobsched.store.decode import problem_of, read_rows, readable
from jobsched.store.repository import override_from_row, parse_hhmm
from jobsched.store.schema import calendar_overrides, calendars, schedules

KIND = "calendar"
OVERRIDE = "calendar override"


def list_exchanges() -> list[str]:
    return sorted(EXCHANGE_CODES)


def get_exchange(code: str, now: datetime) -> ExchangeOut:
    if not is_exchange_code(check_key("exchange calendar", code, 20)):
        raise NotFound("exchange calendar", code)
    calendar = exchange_calendar(code, now)
    return ExchangeOut(
        code=calendar.name, timezone=calendar.tz.key, first_day=calendar.first_day, last_day=calendar.last_day
    )


def list_calendars(
    engine: sa.Engine, now: datetime, page: Page | None = None, base: str | None = None
) -> list[CalendarOut]:
    with engine.connect() as conn:
        rows = read_rows(conn, calendars, order_by=calendars.c.name)
        found = [row for row in rows if base is None or row["base"] == base]
        return [_out(conn, row, now) for row in (page or Page()).take(found)]


def get_calendar(engine: sa.Engine, name: str, now: datetime) -> CalendarOut:
    with engine.connect() as conn:
        return _out(conn, _find(conn, name), now)


def create_calendar(engine: sa.Engine, data: Mapping[str, Any], now: datetime) -> CalendarOut:
    fields = _validate(data)
    with engine.begin() as conn:
        if conn.execute(sa.select(calendars.c.id).where(calendars.c.name == fields.name)).first():
            raise Conflict(f"name={fields.name!r}: a custom calendar with this name already exists")
        _check_buildable(fields, [], now)
        conn.execute(sa.insert(calendars).values(**fields.model_dump()))
    return get_calendar(engine, fields.name, now)


def update_calendar(
    engine: sa.Engine, name: str, patch: Mapping[str, Any], expected_version: int | None, now: datetime
) -> CalendarOut:
    with engine.begin() as conn:
        row = _find(conn, name)
        require_version(KIND, name, row["version"], expected_version)
        fields = _validate(_row_fields(row) | dict(patch))
        if fields.name != name:
            _refuse_if_used(conn, name, f"rename it to {fields.name!r}")
            if conn.execute(sa.select(calendars.c.id).where(calendars.c.name == fields.name)).first():
                raise Conflict(f"name={fields.name!r}: a custom calendar with this name already exists")
        _check_buildable(fields, _overrides(conn, row["id"]), now)
        guarded_update(conn, calendars, row, fields.model_dump(), KIND, name)
    return get_calendar(engine, fields.name, now)


def delete_calendar(engine: sa.Engine, name: str, expected_version: int | None) -> None:
    with engine.begin() as conn:
        row = _find(conn, name)
        require_version(KIND, name, row["version"], expected_version)
        _refuse_if_used(conn, name, "delete it")
        conn.execute(calendar_overrides.delete().where(calendar_overrides.c.calendar_id == row["id"]))
        conn.execute(
            calendars.delete().where(calendars.c.id == row["id"], calendars.c.version == row["version"])
        )


def add_override(engine: sa.Engine, name: str, data: Mapping[str, Any], now: datetime) -> OverrideOut:
    override = _validate_override(data)
    with engine.begin() as conn:
        row = _find(conn, name)
        existing = _overrides(conn, row["id"])
        if any(item.day == override.day for item in existing):
            raise Conflict(
                f"day={override.day.isoformat()!r}: calendar {name!r} already has an override that day"
            )
        _check_buildable(_validate(_row_fields(row)), [*existing, override], now)
        conn.execute(
            sa.insert(calendar_overrides).values(calendar_id=row["id"], **_override_columns(override))
        )
    return get_override(engine, name, override.day)


def get_override(engine: sa.Engine, name: str, day: date) -> OverrideOut:
    with engine.connect() as conn:
        return _override_out(_find_override(conn, _find(conn, name), day))


def update_override(
    engine: sa.Engine,
    name: str,
    day: date,
    patch: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
) -> OverrideOut:
    with engine.begin() as conn:
        row = _find(conn, name)
        current = _find_override(conn, row, day)
        require_version(OVERRIDE, f"{name}/{day}", current["version"], expected_version)
        merged = {key: current[key] for key in OverrideInput.model_fields} | dict(patch)
        override = _validate_override(merged)
        others = [item for item in _overrides(conn, row["id"]) if item.day != day]
        if any(item.day == override.day for item in others):
            raise Conflict(
                f"day={override.day.isoformat()!r}: calendar {name!r} already has an override that day"
            )
        _check_buildable(_validate(_row_fields(row)), [*others, override], now)
        guarded_update(
            conn, calendar_overrides, current, _override_columns(override), OVERRIDE, f"{name}/{day}"
        )
    return get_override(engine, name, override.day)


def delete_override(engine: sa.Engine, name: str, day: date, expected_version: int | None) -> None:
    with engine.begin() as conn:
        current = _find_override(conn, _find(conn, name), day)
        require_version(OVERRIDE, f"{name}/{day}", current["version"], expected_version)
        conn.execute(calendar_overrides.delete().where(calendar_overrides.c.id == current["id"]))


def _validate(data: Mapping[str, Any]) -> CalendarInput:
    data = dict(data)
    if isinstance(data.get("base"), str) and not data["base"].strip():
        data["base"] = None
    try:
        fields = CalendarInput.model_validate(data)
    except ValidationError as exc:
        raise Invalid(problems_from_validation(exc, data), KIND) from None
    if is_exchange_code(fields.name):
        raise Invalid.one("name", fields.name, "is an exchange calendar's code; choose another name", KIND)
    if fields.base is not None:
        if not is_exchange_code(fields.base):
            raise Invalid.one("base", fields.base, "not an exchange calendar code (e.g. XNYS, XLON)", KIND)
        import exchange_calendars as xcals

        fields = fields.model_copy(update={"base": xcals.resolve_alias(fields.base)})
    if not valid_zone(fields.timezone):
        raise Invalid.one("timezone", fields.timezone, "unknown IANA time zone (e.g. 'Europe/London')", KIND)
    return fields


def _row_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in CalendarInput.model_fields}


def _validate_override(data: Mapping[str, Any]) -> CalendarOverride:
    try:
        fields = OverrideInput.model_validate(dict(data))
    except ValidationError as exc:
        raise Invalid(problems_from_validation(exc, dict(data)), OVERRIDE) from None
    if fields.kind == "holiday" and (fields.open_time or fields.close_time):
        field = "open_time" if fields.open_time else "close_time"
        raise Invalid.one(field, getattr(fields, field), "a holiday has no session times", OVERRIDE)
    if not fields.reason.strip():
        raise Invalid.one("reason", fields.reason, "must not be blank: say why the day is special", OVERRIDE)
    return CalendarOverride(
        day=fields.day,
        kind=fields.kind,
        reason=fields.reason.strip(),
        open_time=parse_hhmm(fields.open_time),
        close_time=parse_hhmm(fields.close_time),
    )


def _check_buildable(fields: CalendarInput, overrides: list[CalendarOverride], now: datetime) -> None:
    try:
        custom_calendar(_spec(fields, overrides), now)
    except (InvalidCalendar, UnknownCalendar) as exc:
        raise Invalid.one("calendar", fields.name, str(exc), KIND) from None


def _spec(fields: CalendarInput, overrides: list[CalendarOverride]) -> CustomCalendarSpec:
    return CustomCalendarSpec(
        name=fields.name,
        base=fields.base,
        weekmask=fields.weekmask,
        timezone=fields.timezone,
        open_time=parse_hhmm(fields.open_time),  # type: ignore[arg-type]
        close_time=parse_hhmm(fields.close_time),  # type: ignore[arg-type]
        overrides=tuple(overrides),
    )


def _find(conn: sa.Connection, name: str) -> dict[str, Any]:
    check_key(KIND, name, 100)
    rows = read_rows(conn, calendars, calendars.c.name == name)
    row = rows[0] if rows else None
    if row is None:
        if is_exchange_code(name):
            raise Conflict(
                f"{name!r} is an exchange calendar: it is read-only (see /calendars/exchanges/{name})"
            )
        raise NotFound(KIND, name)
    return row


def _find_override(conn: sa.Connection, calendar: Mapping[str, Any], day: date) -> dict[str, Any]:
    rows = read_rows(
        conn,
        calendar_overrides,
        calendar_overrides.c.calendar_id == calendar["id"],
        calendar_overrides.c.day == day,
    )
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(OVERRIDE, f"{calendar['name']}/{day.isoformat()}")
    return row


def _overrides(conn: sa.Connection, calendar_id: int) -> list[CalendarOverride]:
    result = []
    for row in _override_rows(conn, calendar_id):
        try:
            result.append(override_from_row(row))
        except (ValueError, TypeError):
            continue  # a hand-written bad override: shown as the calendar's problem, not used here
    return result


def _override_columns(override: CalendarOverride) -> dict[str, Any]:
    return {
        "day": override.day,
        "kind": override.kind,
        "reason": override.reason,
        "open_time": override.open_time.strftime("%H:%M") if override.open_time else None,
        "close_time": override.close_time.strftime("%H:%M") if override.close_time else None,
    }


def _override_out(row: Mapping[str, Any]) -> OverrideOut:
    return OverrideOut(
        day=row["day"],
        kind=row["kind"],
        reason=row["reason"],
        open_time=row["open_time"],
        close_time=row["close_time"],
        version=row["version"],
    )


def _users(conn: sa.Connection, name: str) -> list[str]:
    return list(
        conn.execute(
            sa.select(schedules.c.name).where(schedules.c.calendar == name).order_by(schedules.c.name)
        ).scalars()
    )


def _refuse_if_used(conn: sa.Connection, name: str, action: str) -> None:
    users = _users(conn, name)
    if users:
        raise Conflict(
            f"calendar {name!r} is used by schedule(s) {', '.join(users)}: change them before you {action}"
        )


def _out(conn: sa.Connection, row: dict[str, Any], now: datetime) -> CalendarOut:
    """The row as stored; a row (or an override of it) that cannot be used names column and value."""
    overrides = _override_rows(conn, row["id"])
    problem = problem_of(row)
    bad_overrides = [f"override {clip(o['day'])}: {why}" for o in overrides if (why := _override_problem(o))]
    problem = problem or next(iter(bad_overrides), None)
    if problem is None:
        try:
            _check_buildable(_validate(_row_fields(row)), _overrides(conn, row["id"]), now)
        except Invalid as exc:
            problem = exc.message
        except (ValueError, TypeError) as exc:
            problem = clip(str(exc))
    data = readable(row)
    return CalendarOut(
        **{key: data[key] for key in (*_SHOWN, "description")},
        version=data["version"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        overrides=[_override_out(readable(item)) for item in overrides],
        problem=problem,
        schedules=_users(conn, row["name"]),
    )


def _override_problem(row: dict[str, Any]) -> str | None:
    try:
        override_from_row(row)
    except (ValueError, TypeError) as exc:
        return clip(str(exc))
    return None


_SHOWN = ("id", "name", "base", "weekmask", "timezone", "open_time", "close_time")


def _override_rows(conn: sa.Connection, calendar_id: int) -> list[dict[str, Any]]:
    where = calendar_overrides.c.calendar_id == calendar_id
    return read_rows(conn, calendar_overrides, where, order_by=calendar_overrides.c.day)
