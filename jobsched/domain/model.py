"""Plain domain types shared by planner, store, sensor and API. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum


class TimingKind(StrEnum):
    CRON = "cron"
    SESSION = "session"
    BUSINESS_DAY = "business_day"


class SessionEvent(StrEnum):
    OPEN = "open"
    CLOSE = "close"


class CronDayMatch(StrEnum):
    """How day-of-month and day-of-week combine when both are restricted (`0 9 13 * 5`)."""

    AND = "and"
    OR = "or"


class HolidayRule(StrEnum):
    SKIP = "skip"
    NEXT = "next"
    PREVIOUS = "previous"
    IGNORE = "ignore"


class DstGap(StrEnum):
    SHIFT = "shift"
    SKIP = "skip"


class DstRepeat(StrEnum):
    FIRST = "first"
    BOTH = "both"


class MisfirePolicy(StrEnum):
    FIRE_ONCE = "fire_once"
    FIRE_ALL = "fire_all"
    SKIP = "skip"


class OverlapPolicy(StrEnum):
    QUEUE = "queue"
    SKIP = "skip"
    ALLOW = "allow"


class SkipReason(StrEnum):
    HOLIDAY = "holiday"
    PAUSED = "paused"
    MISFIRE = "misfire"
    OVERLAP = "overlap"
    CALENDAR_HORIZON = "calendar_horizon"
    DST_GAP = "dst_gap"
    JOB_DISABLED = "job_disabled"
    NO_BUSINESS_DATE = "no_business_date"  # a claimed fire whose ledger row has no business date


class FireStatus(StrEnum):
    PENDING = "pending"  # written by trigger-now / backfill, not yet claimed by the sensor
    REQUESTED = "requested"  # claimed by the sensor, RunRequest emitted
    RUNNING = "running"  # confirmed by the run's first step
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELED = "canceled"
    SKIPPED = "skipped"


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    BACKFILL = "backfill"


@dataclass(frozen=True)
class TimingSpec:
    """When a schedule fires, independent of which job it runs. Local times are in `timezone`."""

    kind: TimingKind
    timezone: str = "UTC"
    cron: str | None = None
    cron_day_match: CronDayMatch = CronDayMatch.AND
    session_event: SessionEvent | None = None
    offset_minutes: int = 0
    business_day: int | None = None
    local_time: time | None = None
    holiday_rule: HolidayRule = HolidayRule.SKIP
    dst_gap: DstGap = DstGap.SHIFT
    dst_repeat: DstRepeat = DstRepeat.FIRST


@dataclass(frozen=True)
class Candidate:
    """One nominal fire of a timing spec: either due to run or, with `skip` set, a recorded skip."""

    fire_at: datetime  # UTC, aware: the nominal instant, the fire's identity
    business_date: date
    due_at: datetime | None = None  # when it runs if not fire_at (holiday rule next/previous moves it)
    skip: SkipReason | None = None
    detail: str | None = None

    @property
    def run_at(self) -> datetime:
        return self.due_at or self.fire_at


@dataclass(frozen=True)
class Schedule:
    id: int
    name: str
    job_key: str
    timing: TimingSpec
    calendar: str | None = None
    misfire_policy: MisfirePolicy = MisfirePolicy.FIRE_ONCE
    misfire_grace: timedelta = timedelta(seconds=60)
    max_catchup: int = 10
    overlap_policy: OverlapPolicy = OverlapPolicy.QUEUE
    enabled: bool = True
    paused: bool = False
    pause_reason: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    catchup_on_edit: bool = False
    version: int = 1
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CalendarOverride:
    day: date
    kind: str  # "holiday" | "session"
    reason: str
    open_time: time | None = None
    close_time: time | None = None


@dataclass(frozen=True)
class CustomCalendarSpec:
    """A calendar defined by rows: an optional exchange base, a weekmask (Mon..Sun) and dated overrides."""

    name: str
    base: str | None = None
    weekmask: str = "1111100"
    timezone: str = "UTC"
    open_time: time = time(9, 0)
    close_time: time = time(17, 0)
    overrides: tuple[CalendarOverride, ...] = field(default_factory=tuple)
    version: int = 1
