"""jobsched's tables. Plain, human-editable columns; the database checks what it can."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa

from jobsched.domain.model import (
    CronDayMatch,
    DstGap,
    DstRepeat,
    HolidayRule,
    MisfirePolicy,
    OverlapPolicy,
    SessionEvent,
    TimingKind,
)
from jobsched.domain.validation import BUSINESS_DAY_MAX, MAX_CATCHUP, OFFSET_MINUTES

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UTC_DATETIME = sa.DateTime(timezone=True)


def one_of(column: str, values: type[StrEnum]) -> str:
    """The CHECK text that limits `column` to an enum of the domain model (one definition of the values)."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTC_DATETIME, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", UTC_DATETIME, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    ]


job_definitions = sa.Table(
    "job_definitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_key", sa.String(100), nullable=False, unique=True),
    sa.Column("adapter", sa.String(100), nullable=False),
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # a run of this job still going after this many seconds is ended (and retried): a dead worker never
    # blocks the job's later fires for ever. NULL: JOBSCHED_MAX_RUNTIME_SECONDS (default 3600).
    sa.Column("max_runtime_seconds", sa.Integer, nullable=True),
    # by when the data of each business date is due: `close+2h` (session ± offset) or `18:30` (local time),
    # on the business days of its schedules' calendars (jobsched/domain/freshness.py). NULL: no deadline.
    sa.Column("deadline", sa.String(20), nullable=True),
    *_audit_columns(),
    sa.CheckConstraint("length(job_key) > 0", name="job_key_not_empty"),
    sa.CheckConstraint("length(adapter) > 0", name="adapter_not_empty"),
)

schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("job_key", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, server_default="cron"),
    sa.Column("cron", sa.String(200), nullable=True),
    sa.Column("cron_day_match", sa.String(3), nullable=False, server_default="and"),
    sa.Column("session_event", sa.String(5), nullable=True),
    sa.Column("offset_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("business_day", sa.Integer, nullable=True),
    sa.Column("local_time", sa.String(8), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("calendar", sa.String(100), nullable=True),
    sa.Column("holiday_rule", sa.String(10), nullable=False, server_default="skip"),
    sa.Column("dst_gap", sa.String(5), nullable=False, server_default="shift"),
    sa.Column("dst_repeat", sa.String(5), nullable=False, server_default="first"),
    sa.Column("misfire_policy", sa.String(10), nullable=False, server_default="fire_once"),
    sa.Column("misfire_grace_seconds", sa.Integer, nullable=False, server_default="60"),
    sa.Column("max_catchup", sa.Integer, nullable=False, server_default="10"),
    sa.Column("overlap_policy", sa.String(5), nullable=False, server_default="queue"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pause_reason", sa.Text, nullable=True),
    sa.Column("start_at", UTC_DATETIME, nullable=True),
    sa.Column("end_at", UTC_DATETIME, nullable=True),
    sa.Column("catchup_on_edit", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("description", sa.Text, nullable=True),
    *_audit_columns(),
    sa.CheckConstraint(one_of("kind", TimingKind), name="kind"),
    sa.CheckConstraint("kind <> 'cron' OR cron IS NOT NULL", name="cron_required"),
    sa.CheckConstraint("kind <> 'session' OR session_event IS NOT NULL", name="session_event_required"),
    sa.CheckConstraint(
        "kind <> 'business_day' OR (business_day IS NOT NULL AND local_time IS NOT NULL)",
        name="business_day_required",
    ),
    sa.CheckConstraint(one_of("cron_day_match", CronDayMatch), name="cron_day_match"),
    sa.CheckConstraint(
        "session_event IS NULL OR " + one_of("session_event", SessionEvent), name="session_event"
    ),
    sa.CheckConstraint(
        f"business_day IS NULL OR (business_day BETWEEN -{BUSINESS_DAY_MAX} AND {BUSINESS_DAY_MAX} "
        "AND business_day <> 0)",
        name="business_day",
    ),
    sa.CheckConstraint(one_of("holiday_rule", HolidayRule), name="holiday_rule"),
    sa.CheckConstraint(one_of("dst_gap", DstGap), name="dst_gap"),
    sa.CheckConstraint(one_of("dst_repeat", DstRepeat), name="dst_repeat"),
    sa.CheckConstraint(one_of("misfire_policy", MisfirePolicy), name="misfire_policy"),
    sa.CheckConstraint("misfire_grace_seconds >= 0", name="misfire_grace"),
    sa.CheckConstraint(f"max_catchup BETWEEN {MAX_CATCHUP[0]} AND {MAX_CATCHUP[1]}", name="max_catchup"),
    sa.CheckConstraint(one_of("overlap_policy", OverlapPolicy), name="overlap_policy"),
    sa.CheckConstraint(
        f"offset_minutes BETWEEN {OFFSET_MINUTES[0]} AND {OFFSET_MINUTES[1]}", name="offset_minutes"
    ),
    sa.CheckConstraint("end_at IS NULL OR start_at IS NULL OR end_at > start_at", name="end_after_start"),
    sqlite_autoincrement=True,  # ids never reused (migration 0005)
)

calendars = sa.Table(
    "calendars",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("base", sa.String(20), nullable=True),
    sa.Column("weekmask", sa.String(7), nullable=False, server_default="1111100"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("open_time", sa.String(8), nullable=False, server_default="09:00"),
    sa.Column("close_time", sa.String(8), nullable=False, server_default="17:00"),
    sa.Column("description", sa.Text, nullable=True),
    *_audit_columns(),
    sa.CheckConstraint("length(weekmask) = 7", name="weekmask_length"),
)

calendar_overrides = sa.Table(
    "calendar_overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "calendar_id",
        sa.Integer,
        sa.ForeignKey("calendars.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("open_time", sa.String(8), nullable=True),
    sa.Column("close_time", sa.String(8), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    *_audit_columns(),
    sa.UniqueConstraint("calendar_id", "day", name="uq_calendar_overrides_calendar_day"),
    sa.CheckConstraint("kind IN ('holiday', 'session')", name="kind"),
    sa.CheckConstraint("length(reason) > 0", name="reason_not_empty"),
)

fire_ledger = sa.Table(
    "fire_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schedule_id", sa.Integer, nullable=False),
    sa.Column("fire_at", UTC_DATETIME, nullable=False),
    sa.Column("due_at", UTC_DATETIME, nullable=False),
    sa.Column("business_date", sa.Date, nullable=True),
    sa.Column("job_key", sa.String(100), nullable=True),
    sa.Column("trigger", sa.String(10), nullable=False, server_default="schedule"),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("reason", sa.String(30), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("run_key", sa.String(200), nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("holder", sa.String(120), nullable=True),  # the one execution of run_id doing the work
    sa.Column("claimed_at", UTC_DATETIME, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTC_DATETIME, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column("updated_at", UTC_DATETIME, nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("schedule_id", "fire_at", name="uq_fire_ledger_schedule_fire"),
    sa.CheckConstraint(
        "status IN ('pending', 'requested', 'running', 'success', 'failure', 'canceled', 'skipped')",
        name="status",
    ),
    sa.CheckConstraint("trigger IN ('schedule', 'manual', 'backfill')", name="trigger"),
    sa.CheckConstraint("(status = 'skipped') = (reason IS NOT NULL)", name="skip_has_reason"),
    sa.Index("ix_fire_ledger_status_due", "status", "due_at"),
)

schedule_state = sa.Table(
    "schedule_state",
    metadata,
    sa.Column("schedule_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("watermark", UTC_DATETIME, nullable=False),
    sa.Column("seen_version", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("error_at", UTC_DATETIME, nullable=True),
    sa.Column("updated_at", UTC_DATETIME, nullable=False, server_default=sa.func.current_timestamp()),
    # the next instant a candidate (fire or skip) is due, and what it was planned with: a tick only looks at
    # rows that are due, edited (version), or whose calendar or job definition changed (fingerprints)
    sa.Column("next_due_at", UTC_DATETIME, nullable=True),
    sa.Column("calendar_fp", sa.String(300), nullable=True),
    sa.Column("job_fp", sa.String(200), nullable=True),
    sa.Index("ix_schedule_state_next_due_at", "next_due_at"),
)

engine_ticks = sa.Table(
    "engine_ticks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_tick_at", UTC_DATETIME, nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
)
