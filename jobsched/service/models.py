"""Pydantic models of what the API and the CLI send and receive. Schedule input IS ScheduleFields (the one
validation shared with rows written by SQL), with stricter limits for writes: unknown fields are errors,
texts fit their columns and numbers fit the database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)

from jobsched.domain.cron import CRON_HELP, DAY_MATCH_HELP
from jobsched.domain.freshness import parse_deadline
from jobsched.domain.model import CronDayMatch, DstGap
from jobsched.domain.validation import (
    EARLIEST_DAY,
    KEY_MAX,
    KEY_PATTERN,
    LATEST_DAY,
    ScheduleFields,
    day_problem,
    key_problem,
    require,
)
from jobsched.service.common import MAX_ID, bad_text

EARLIEST = datetime.combine(EARLIEST_DAY, time(), UTC)
LATEST = datetime.combine(LATEST_DAY, time(), UTC)
MAX_GRACE_SECONDS = 366 * 86400
DST_GAP_HELP = (
    "A cron or local time that does not exist on a spring-forward day (02:30 in New York): 'shift' (default) "
    "runs it at the first instant after the gap; 'skip' records a dst_gap skip for each such time."
)


def _clean_texts(value: Any) -> Any:
    return require(value, bad_text(value))


def _key_field(**kwargs: Any) -> Any:
    return Field(min_length=1, max_length=KEY_MAX, json_schema_extra={"pattern": KEY_PATTERN}, **kwargs)


def _check_day(value: Any) -> Any:
    """Dates come as 'YYYY-MM-DD' text (a number is not a date) within the documented range."""
    if isinstance(value, date | datetime) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
    else:
        raise ValueError("a date 'YYYY-MM-DD'")
    return require(day, day_problem(day))


Day = Annotated[
    date,
    BeforeValidator(_check_day),
    Field(description=f"YYYY-MM-DD, from {EARLIEST_DAY} up to (not including) {LATEST_DAY}"),
]


class ScheduleInput(ScheduleFields):
    """A schedule as written through the API or CLI."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    name: Annotated[str, _key_field(examples=["eod-prices-nyse"])]
    job_key: Annotated[str, _key_field(examples=["eod_prices"])]
    cron: Annotated[str | None, Field(max_length=200, examples=["30 16 * * 1-5"], description=CRON_HELP)] = (
        None
    )
    cron_day_match: Annotated[CronDayMatch, Field(description=DAY_MATCH_HELP)] = CronDayMatch.AND
    dst_gap: Annotated[DstGap, Field(description=DST_GAP_HELP)] = DstGap.SHIFT
    timezone: Annotated[str, Field(max_length=64, examples=["America/New_York"])] = "UTC"
    calendar: Annotated[str | None, Field(max_length=100, examples=["XNYS"])] = None
    misfire_grace_seconds: Annotated[int, Field(ge=0, le=MAX_GRACE_SECONDS)] = 60
    pause_reason: Annotated[str | None, Field(max_length=2000)] = None
    description: Annotated[str | None, Field(max_length=10000)] = None

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean_texts(value)

    @field_validator("local_time")
    @classmethod
    def _naive_local_time(cls, value: time | None) -> time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("a local time in the schedule's time zone, without an offset (e.g. '18:00')")
        return value

    @field_validator("start_at", "end_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:  # overrides ScheduleFields._utc
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if not EARLIEST <= value <= LATEST:
            raise ValueError("must be between 1970-01-01 and 2200-01-01")
        return value.astimezone(UTC)


def _all_optional(model: type[BaseModel], name: str, doc: str, with_version: bool = True) -> type[BaseModel]:
    # Leaving a field out keeps it; null is only allowed where the field itself may be null (the schema says
    # so, and a null for a required field is refused as the schema promises).
    fields: dict[str, Any] = {
        field: (info.annotation, Field(default=None, description=info.description))
        for field, info in model.model_fields.items()
    }
    if with_version:
        fields["version"] = (
            int | None,
            Field(default=None, ge=1, le=MAX_ID, description="the version you read; or send it as If-Match"),
        )
    patch = create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields)
    return patch


if TYPE_CHECKING:  # built by create_model at run time; to the type checker a pydantic model
    SchedulePatch = BaseModel
else:
    SchedulePatch = _all_optional(
        ScheduleInput,
        "SchedulePatch",
        "Fields to change; the rest keep their values. Needs the version you read.",
    )


if TYPE_CHECKING:  # built by create_model at run time; to the type checker a pydantic model
    ScheduleDraft = BaseModel
else:
    ScheduleDraft = _all_optional(
        ScheduleInput,
        "ScheduleDraft",
        "An unsaved schedule to preview: the fields of a schedule; name and job_key may be left out.",
        with_version=False,
    )


class ScheduleOut(BaseModel):
    """A stored schedule row as it is (also when hand-written SQL made it invalid: see `problem`)."""

    id: int
    name: str | None = None
    job_key: str | None = None
    kind: str | None = None
    cron: str | None = Field(None, description=CRON_HELP)
    cron_day_match: str | None = Field(None, description=DAY_MATCH_HELP)
    session_event: str | None = None
    offset_minutes: int | None = None
    business_day: int | None = None
    local_time: str | None = None
    timezone: str | None = None
    calendar: str | None = None
    holiday_rule: str | None = None
    dst_gap: str | None = Field(None, description=DST_GAP_HELP)
    dst_repeat: str | None = None
    misfire_policy: str | None = None
    misfire_grace_seconds: int | None = None
    max_catchup: int | None = None
    overlap_policy: str | None = None
    enabled: bool | None = None
    paused: bool | None = None
    pause_reason: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    catchup_on_edit: bool | None = None
    description: str | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    problem: str | None = Field(None, description="why the row as stored cannot be used, if it cannot")
    quarantined: str | None = Field(None, description="the engine's error for this row, if it set one aside")


class JobInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_key: Annotated[str, _key_field(examples=["eod_prices"])]
    adapter: Annotated[str, Field(min_length=1, max_length=100, examples=["demo_echo"])]
    params: dict[str, Any] = Field(default_factory=dict, description="the adapter's parameters")
    description: Annotated[str | None, Field(max_length=10000)] = None
    enabled: bool = True
    max_runtime_seconds: Annotated[
        int | None,
        Field(
            ge=60,
            le=7 * 86400,
            description="a run still going after this is ended and retried (null: the deployment default)",
        ),
    ] = None
    deadline: Annotated[
        str | None,
        Field(
            max_length=20,
            examples=["close+2h", "18:30"],
            description="by when each business date's data is due: session open/close ± offset "
            "('close+2h', 'open+1h30m') or a local time 'HH:MM', on the business days of its schedules' "
            "calendars (null: no deadline)",
        ),
    ] = None

    @field_validator("job_key", "adapter", "description", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean_texts(value)

    @field_validator("job_key")
    @classmethod
    def _key(cls, value: str) -> str:
        return require(value, key_problem(value))

    @field_validator("adapter")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        if value != value.strip() or not value:
            raise ValueError("must not be empty nor start or end with spaces")
        return value

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_deadline(value).text
        except ValueError as exc:
            raise ValueError(str(exc).split(": ", 1)[-1]) from None


if TYPE_CHECKING:  # built by create_model at run time; to the type checker a pydantic model
    JobPatch = BaseModel
else:
    JobPatch = _all_optional(JobInput, "JobPatch", "Fields to change; needs the version you read.")


class JobOut(BaseModel):
    id: int
    job_key: str | None = None
    adapter: str | None = None
    params: dict[str, Any] | None = None
    description: str | None = None
    enabled: bool | None = None
    max_runtime_seconds: int | None = None
    deadline: str | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    problem: str | None = None
    schedules: list[str] = Field(default_factory=list, description="names of the schedules that run it")


HHMM = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _pattern(pattern: str, **kwargs: Any) -> Any:
    """Document the pattern in OpenAPI; the validators below say what is wrong in words."""
    return Field(json_schema_extra={"pattern": pattern}, **kwargs)


def _session_order(open_time: str | None, close_time: str | None) -> None:
    if open_time and close_time and time.fromisoformat(close_time) <= time.fromisoformat(open_time):
        raise ValueError(f"close_time: must be after open_time {open_time} (sessions do not span midnight)")


def _check(pattern: str, value: str | None, explain: str) -> str | None:
    if value is not None and not re.fullmatch(pattern, value):
        raise ValueError(explain)
    return value


class CalendarInput(BaseModel):
    """A custom calendar: optional exchange base (its sessions, on the weekmask days), else weekmask days at
    open/close in `timezone`. Dated overrides add holidays or sessions."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, _key_field(examples=["ops-uk"])]
    base: Annotated[str | None, Field(max_length=20, examples=["XLON"])] = None
    weekmask: Annotated[str, _pattern(r"^[01]{7}$", description="Mon..Sun, 1 = normally open")] = "1111100"
    timezone: Annotated[str, Field(max_length=64)] = "UTC"
    open_time: Annotated[str, _pattern(HHMM)] = "09:00"
    close_time: Annotated[str, _pattern(HHMM)] = "17:00"
    description: Annotated[str | None, Field(max_length=10000)] = None

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean_texts(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        require(value, key_problem(value))
        if value.lower() == "exchanges":
            raise ValueError("'exchanges' is reserved (the API lists exchange calendars there)")
        return value

    @field_validator("weekmask")
    @classmethod
    def _weekmask(cls, value: str) -> str:
        return _check(r"^[01]{7}$", value, "7 characters of 0/1, Monday first (e.g. '1111100')") or value

    @field_validator("open_time", "close_time")
    @classmethod
    def _times(cls, value: str) -> str:
        return _check(HHMM, value, "a local time 'HH:MM' (00:00 to 23:59)") or value

    @model_validator(mode="after")
    def _opens_before_close(self) -> CalendarInput:
        _session_order(self.open_time, self.close_time)
        return self


if TYPE_CHECKING:  # built by create_model at run time; to the type checker a pydantic model
    CalendarPatch = BaseModel
else:
    CalendarPatch = _all_optional(
        CalendarInput, "CalendarPatch", "Fields to change; needs the version you read."
    )


class OverrideInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day
    kind: Annotated[str, _pattern(r"^(holiday|session)$", examples=["holiday"])]
    reason: Annotated[str, Field(min_length=1, max_length=2000, examples=["company offsite"])]
    open_time: Annotated[str | None, _pattern(HHMM)] = None
    close_time: Annotated[str | None, _pattern(HHMM, examples=["13:00"])] = None

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean_texts(value)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return (
            _check(r"^(holiday|session)$", value, "'holiday' (closed that day) or 'session' (open)") or value
        )

    @field_validator("open_time", "close_time")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return _check(HHMM, value, "a local time 'HH:MM' (00:00 to 23:59)")

    @model_validator(mode="after")
    def _opens_before_close(self) -> OverrideInput:
        _session_order(self.open_time, self.close_time)
        return self


if TYPE_CHECKING:  # built by create_model at run time; to the type checker a pydantic model
    OverridePatch = BaseModel
else:
    OverridePatch = _all_optional(
        OverrideInput, "OverridePatch", "Fields to change; needs the version you read."
    )


class OverrideOut(BaseModel):
    day: date | None = None
    kind: str | None = None
    reason: str | None = None
    open_time: str | None = None
    close_time: str | None = None
    version: int | None = None


class CalendarOut(BaseModel):
    id: int
    name: str | None = None
    base: str | None = None
    weekmask: str | None = None
    timezone: str | None = None
    open_time: str | None = None
    close_time: str | None = None
    description: str | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    overrides: list[OverrideOut] = Field(default_factory=list)
    problem: str | None = None
    schedules: list[str] = Field(default_factory=list)


class ExchangeOut(BaseModel):
    code: str
    timezone: str | None = None
    first_day: date | None = None
    last_day: date | None = None


class FireOut(BaseModel):
    """One fire of a preview: when, for which business date, or why it is skipped."""

    fire_at: datetime = Field(description="nominal instant (UTC): the fire's identity")
    run_at: datetime = Field(description="when it runs (UTC); differs when a holiday rule moves it")
    local_time: str = Field(description="run_at in the schedule's time zone")
    business_date: date
    skip: str | None = None
    detail: str | None = None


class PreviewOut(BaseModel):
    schedule_id: int | None = None
    timezone: str
    calendar: str | None = None
    after: datetime
    fires: list[FireOut]


class LedgerEntryOut(BaseModel):
    id: int
    schedule_id: int
    fire_at: datetime
    due_at: datetime
    business_date: date | None = None
    job_key: str | None = None
    trigger: str
    status: str
    reason: str | None = None
    detail: str | None = None
    run_key: str | None = None
    run_id: str | None = None
    claimed_at: datetime | None = None
    attempts: int


class LedgerPage(BaseModel):
    items: list[LedgerEntryOut]
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="offset of the next page; null on the last page")


class PauseInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000, examples=["vendor outage, INC-1234"])]
    version: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None

    @field_validator("reason", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean_texts(value)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank: say why the schedule is paused")
        return value.strip()


class ResumeInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None


class TriggerInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_date: Day | None = Field(None, description="default: today in the schedule's time zone")


class TriggerOut(BaseModel):
    schedule_id: int
    ledger_id: int
    fire_at: datetime
    business_date: date
    trigger: str
    run_key: str
    note: str | None = None


class BackfillInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Day = Field(description="first business date (in the schedule's zone), inclusive")
    end: Day = Field(description="last date, inclusive; not after today")
    dry_run: bool = Field(False, description="plan only, queue nothing")


class BackfillOut(BaseModel):
    schedule_id: int
    start: date
    end: date
    dry_run: bool
    queued: list[FireOut] = Field(description="fires queued now (or that would be, on a dry run)")
    already_present: list[FireOut] = Field(description="fires already in the ledger: not queued again")
    skipped: list[FireOut] = Field(description="what the calendar does not allow in the range, with reasons")
    not_due: int = Field(
        0, description="fires in the range that are still in the future (left to the engine)"
    )


class CheckOut(BaseModel):
    ok: bool
    detail: str | None = None


class HorizonOut(BaseModel):
    calendar: str
    ok: bool
    last_day: date | None = None
    days_left: int | None = None
    detail: str | None = None


class QuarantinedOut(BaseModel):
    schedule_id: int
    name: str | None = None
    error: str
    since: datetime | None = None


class HealthOut(BaseModel):
    """Callers that may not read (JOBSCHED_API_OPEN_READS=false, no token) get `ok` and `checked_at` only."""

    ok: bool
    checked_at: datetime
    database: CheckOut | None = None
    engine: CheckOut | None = None
    last_tick_at: datetime | None = None
    quarantined: list[QuarantinedOut] = Field(default_factory=list)
    calendars: list[HorizonOut] = Field(default_factory=list)
    missed_deadlines: list[str] = Field(
        default_factory=list, description="job definitions whose latest business date missed its deadline"
    )
    problems: list[str] = Field(default_factory=list, description="one line per thing that is wrong")


class SeedReport(BaseModel):
    created_jobs: list[str] = Field(default_factory=list)
    created_schedules: list[str] = Field(default_factory=list)
    present_jobs: list[str] = Field(default_factory=list)
    present_schedules: list[str] = Field(default_factory=list)
