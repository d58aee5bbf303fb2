"""One validation for schedule rows, whoever wrote them (SQL, API, CLI): pydantic, naming field and value."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import fields
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from jobsched.domain.model import (
    CronDayMatch,
    DstGap,
    DstRepeat,
    HolidayRule,
    MisfirePolicy,
    OverlapPolicy,
    Schedule,
    SessionEvent,
    TimingKind,
    TimingSpec,
)
from jobsched.utc import utc

T = TypeVar("T")

KEY_CHARS = "letters, digits, '_', '-' and '.'"
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
KEY_MAX = 100
_KEY = re.compile(KEY_PATTERN)
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2200, 1, 1)  # exclusive: the documented range of every date and instant jobsched stores
NOT_ZONES = frozenset({"localtime", "Factory"})  # in the tz database, but not a place's rules


# The schedule's numeric rules, each written once: ScheduleFields checks them and store/schema.py turns the
# same numbers (and the enums of the domain model) into the table's CHECK constraints.
OFFSET_MINUTES = (-1440, 1440)
BUSINESS_DAY_MAX = 23  # 1..23 (nth business day) or -1..-23 (nth from last)
MAX_CATCHUP = (1, 1000)

MAX_QUOTED = 200  # error messages quote at most this many characters of a value


def clip(value: Any, limit: int = MAX_QUOTED) -> Any:
    """A value as an error may quote it: long texts cut to a prefix, big containers summarised."""
    if isinstance(value, bytes):
        value = repr(value)
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"
    if isinstance(value, dict | list | tuple):
        text = repr(value) if _small(value) else ""
        if text and len(text) <= limit:
            return value
        return f"{type(value).__name__} of {len(value)} items"
    return value


def _small(value: Any, depth: int = 0) -> bool:
    if depth > 5:
        return False
    if isinstance(value, dict):
        return len(value) <= 20 and all(_small(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple):
        return len(value) <= 20 and all(_small(v, depth + 1) for v in value)
    return True


def key_problem(value: object) -> str | None:
    """Why `value` cannot be a key (job key, schedule or calendar name), or None. Keys appear in URLs,
    headers and terminals, so they are a small safe set: one source of truth for API, CLI and SQL rows."""
    if not isinstance(value, str):
        return "must be text"
    if not value.strip():
        return "must not be empty"
    if not _KEY.fullmatch(value):
        return (
            f"1 to {KEY_MAX} characters: {KEY_CHARS} only, starting with a letter or digit "
            "(no spaces, slashes or other symbols: it appears in URLs)"
        )
    return None


def zone_problem(value: object) -> str | None:
    if not isinstance(value, str) or value in NOT_ZONES or value not in _zone_names():
        return "unknown IANA time zone (e.g. 'America/New_York', 'UTC')"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "unknown IANA time zone (e.g. 'America/New_York', 'UTC')"
    return None


def require(value: T, problem: str | None) -> T:
    """`value`, or the ValueError (pydantic names the field) that `problem` describes."""
    if problem:
        raise ValueError(problem)
    return value


def day_problem(value: date) -> str | None:
    if not EARLIEST_DAY <= value < LATEST_DAY:
        return f"must be between {EARLIEST_DAY} and {LATEST_DAY} (exclusive)"
    return None


UNREADABLE = "_unreadable"  # key of a decoded row: {column: raw value} of the columns that could not be read


class RowInvalid(ValueError):
    """A stored row that cannot be used; `field` and `value` say which column and what it held."""

    def __init__(self, field: str, value: object, message: str) -> None:
        self.field, self.value, self.message = field, clip(value), message
        super().__init__(f"{field}={self.value!r}: {message}")


class ScheduleFields(BaseModel):
    """The editable columns of a schedule; context known_calendars / known_jobs turn on reference checks."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False)

    name: str
    job_key: str
    kind: TimingKind = TimingKind.CRON
    cron: str | None = None
    cron_day_match: CronDayMatch = CronDayMatch.AND
    session_event: SessionEvent | None = None
    offset_minutes: int = 0
    business_day: int | None = None
    local_time: time | None = None
    timezone: str = "UTC"
    calendar: str | None = None
    holiday_rule: HolidayRule = HolidayRule.SKIP
    dst_gap: DstGap = DstGap.SHIFT
    dst_repeat: DstRepeat = DstRepeat.FIRST
    misfire_policy: MisfirePolicy = MisfirePolicy.FIRE_ONCE
    misfire_grace_seconds: int = 60
    max_catchup: int = 10
    overlap_policy: OverlapPolicy = OverlapPolicy.QUEUE
    enabled: bool = True
    paused: bool = False
    pause_reason: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    catchup_on_edit: bool = False
    description: str | None = None

    @field_validator("name", "job_key")
    @classmethod
    def _key(cls, value: str) -> str:
        return require(value, key_problem(value))

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from jobsched.domain.timing import validate_cron

        problem = validate_cron(value, allow_never=True)  # whether it ever fires depends on cron_day_match
        if problem:
            raise ValueError(f"not a valid 5-field cron expression: {problem}")
        return " ".join(value.split())

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return require(value, zone_problem(value))

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        known = (info.context or {}).get("known_calendars")
        if known is not None and value not in known:
            raise ValueError("unknown calendar: not an exchange code (e.g. XNYS) nor a custom calendar")
        return value

    @field_validator("job_key")
    @classmethod
    def _job(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("known_jobs")
        if known is not None and value not in known:
            raise ValueError("unknown job key: no job definition with this key")
        return value

    @field_validator("misfire_grace_seconds")
    @classmethod
    def _grace(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be >= 0")
        return value

    @field_validator("max_catchup")
    @classmethod
    def _max_catchup(cls, value: int) -> int:
        low, high = MAX_CATCHUP
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    @field_validator("offset_minutes")
    @classmethod
    def _offset(cls, value: int) -> int:
        low, high = OFFSET_MINUTES
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high} minutes")
        return value

    @field_validator("business_day")
    @classmethod
    def _business_day(cls, value: int | None) -> int | None:
        top = BUSINESS_DAY_MAX
        if value is not None and (value == 0 or not -top <= value <= top):
            raise ValueError(f"must be 1..{top} (nth business day) or -1..-{top} (nth from last)")
        return value

    @field_validator("start_at", "end_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        if not EARLIEST_DAY <= value.date() < LATEST_DAY:
            raise ValueError(f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> ScheduleFields:
        if self.kind is TimingKind.CRON and not self.cron:
            raise ValueError("cron: required when kind='cron'")
        if self.cron:
            from jobsched.domain.timing import validate_cron

            if problem := validate_cron(self.cron, self.cron_day_match):
                raise ValueError(f"cron: not a valid 5-field cron expression: {problem}")
        if self.kind is TimingKind.SESSION:
            if self.session_event is None:
                raise ValueError("session_event: required when kind='session' ('open' or 'close')")
            if self.calendar is None:
                raise ValueError("calendar: a session schedule needs an exchange or custom calendar")
        if self.kind is TimingKind.BUSINESS_DAY:
            if self.business_day is None or self.local_time is None:
                raise ValueError("business_day and local_time: required when kind='business_day'")
            if self.calendar is None:
                raise ValueError("calendar: a business_day schedule needs an exchange or custom calendar")
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValueError(
                f"end_at: {self.end_at.isoformat()} is not after start_at {self.start_at.isoformat()}"
            )
        return self

    def timing(self) -> TimingSpec:
        """The timing columns are TimingSpec's fields, by name (a test checks every column has a home)."""
        return TimingSpec(**{f.name: getattr(self, f.name) for f in fields(TimingSpec)})

    def to_schedule(self, schedule_id: int, version: int = 1, updated_at: datetime | None = None) -> Schedule:
        return Schedule(
            id=schedule_id,
            name=self.name,
            job_key=self.job_key,
            timing=self.timing(),
            calendar=self.calendar,
            misfire_policy=self.misfire_policy,
            misfire_grace=timedelta(seconds=self.misfire_grace_seconds),
            max_catchup=self.max_catchup,
            overlap_policy=self.overlap_policy,
            enabled=self.enabled,
            paused=self.paused,
            pause_reason=self.pause_reason,
            start_at=self.start_at,
            end_at=self.end_at,
            catchup_on_edit=self.catchup_on_edit,
            version=version,
            updated_at=utc(updated_at),
        )


def schedule_from_row(
    row: Mapping[str, Any],
    known_calendars: Collection[str] | None = None,
    known_jobs: Collection[str] | None = None,
) -> Schedule:
    """Validate a stored schedule row; raise RowInvalid naming the first bad column and its value."""
    context = {"known_calendars": known_calendars, "known_jobs": known_jobs}
    unreadable = row.get(UNREADABLE) or {}
    for column, raw in unreadable.items():
        raise RowInvalid(column, raw, "cannot be read as stored (wrong type for the column)")
    try:
        fields = ScheduleFields.model_validate(dict(row), context=context)
    except ValidationError as exc:
        raise row_invalid(exc, row) from None
    updated_at = row.get("updated_at")
    return fields.to_schedule(
        int(row["id"]), int(row.get("version") or 1), updated_at if isinstance(updated_at, datetime) else None
    )


def row_invalid(exc: ValidationError, row: Mapping[str, Any]) -> RowInvalid:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else _field_from_message(error["msg"])
    value = row.get(field, error.get("input"))
    message = error["msg"].removeprefix("Value error, ")
    return RowInvalid(field, value, message.removeprefix(f"{field}: "))


def _field_from_message(message: str) -> str:
    head = message.removeprefix("Value error, ").split(":", 1)[0]
    return head.split(" ", 1)[0] if head and " " not in head.strip() else "row"


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


MAX_JSON_DEPTH = 32  # nesting of any JSON jobsched reads: request bodies and stored params


def json_depth(text: str | bytes, stop_at: int = MAX_JSON_DEPTH) -> int:
    """Deepest nesting of [ and { outside strings, counted without parsing (and without recursion);
    stops counting once past `stop_at`."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
