"""Per-schedule planning state (watermark, last seen row version, quarantine error) and engine ticks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from jobsched.store.rows import insert_if_absent, utc
from jobsched.store.schema import engine_ticks, schedule_state


@dataclass(frozen=True)
class ScheduleState:
    schedule_id: int
    watermark: datetime
    seen_version: int
    error: str | None
    error_at: datetime | None


def load_states(conn: sa.Connection) -> dict[int, ScheduleState]:
    return {
        row["schedule_id"]: ScheduleState(
            schedule_id=row["schedule_id"],
            watermark=utc(row["watermark"]),  # type: ignore[arg-type]
            seen_version=row["seen_version"],
            error=row["error"],
            error_at=utc(row["error_at"]),
        )
        for row in conn.execute(sa.select(schedule_state)).mappings()
    }


def advance(
    conn: sa.Connection, schedule_id: int, watermark: datetime, seen_version: int, now: datetime
) -> None:
    """Move the watermark forward (never back: a slower replica cannot rewind it) and clear any error."""
    values = {"watermark": watermark, "seen_version": seen_version, "error": None, "error_at": None}
    if insert_if_absent_state(conn, schedule_id, values, now):
        return
    conn.execute(
        sa.update(schedule_state)
        .where(schedule_state.c.schedule_id == schedule_id)
        .values(
            watermark=sa.case(
                (schedule_state.c.watermark < watermark, watermark), else_=schedule_state.c.watermark
            ),
            seen_version=seen_version,
            error=None,
            error_at=None,
            updated_at=now,
        )
    )


def quarantine(conn: sa.Connection, schedule_id: int, error: str, now: datetime) -> None:
    """Keep the row's error for the API and health; the watermark moves on so fixing it never replays."""
    values = {"watermark": now, "seen_version": -1, "error": error, "error_at": now}
    if insert_if_absent_state(conn, schedule_id, values, now):
        return
    conn.execute(
        sa.update(schedule_state)
        .where(schedule_state.c.schedule_id == schedule_id)
        .values(
            error=error,
            error_at=sa.func.coalesce(schedule_state.c.error_at, now),
            watermark=sa.case((schedule_state.c.watermark < now, now), else_=schedule_state.c.watermark),
            seen_version=-1,
            updated_at=now,
        )
    )


def insert_if_absent_state(conn: sa.Connection, schedule_id: int, values: dict, now: datetime) -> bool:
    row = {"schedule_id": schedule_id, "updated_at": now, **values}
    return insert_if_absent(conn, schedule_state, row) is not None


def record_tick(conn: sa.Connection, now: datetime, summary: dict) -> None:
    values = {"id": 1, "last_tick_at": now, "summary": json.dumps(summary, default=str)}
    if conn.execute(sa.update(engine_ticks).where(engine_ticks.c.id == 1).values(**values)).rowcount == 0:
        insert_if_absent(conn, engine_ticks, values)


def last_tick(conn: sa.Connection) -> tuple[datetime, dict] | None:
    row = conn.execute(sa.select(engine_ticks).where(engine_ticks.c.id == 1)).mappings().first()
    if row is None:
        return None
    return utc(row["last_tick_at"]), json.loads(row["summary"] or "{}")  # type: ignore[return-value]
