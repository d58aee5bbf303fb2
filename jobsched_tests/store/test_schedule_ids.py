"""Schedule ids are never reused (migration 0005 on SQLite; sequences on Postgres), so the tag
jobsched/schedule=<id> always means one schedule."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from jobsched.store.db import engine_for
from jobsched.store.migrate import upgrade
from jobsched.store.schema import schedules


def _add(conn: sa.Connection, name: str) -> int:
    values = {"name": name, "job_key": "j", "kind": "cron", "cron": "0 1 * * *"}
    return int(conn.execute(sa.insert(schedules).values(**values).returning(schedules.c.id)).scalar_one())


def test_a_deleted_schedules_id_is_not_given_to_the_next(db: sa.Engine) -> None:
    with db.begin() as conn:
        _add(conn, "first")
        newest = _add(conn, "second")
        conn.execute(sa.delete(schedules).where(schedules.c.id == newest))
        assert _add(conn, "third") == newest + 1
    with db.begin() as conn:  # the edit trigger survived the rebuild
        conn.execute(sa.update(schedules).where(schedules.c.name == "first").values(cron="0 2 * * *"))
        assert conn.execute(sa.select(schedules.c.version).where(schedules.c.name == "first")).scalar() == 2


def test_the_rebuild_keeps_existing_rows_and_checks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = engine_for(url)
    with engine.begin() as conn:
        ids = [_add(conn, "a"), _add(conn, "b")]
        conn.execute(sa.delete(schedules).where(schedules.c.id == ids[1]))
    upgrade(url)
    with engine.begin() as conn:
        assert conn.execute(sa.select(schedules.c.name)).scalars().all() == ["a"]
        ddl = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'schedules'")).scalar()
        assert "AUTOINCREMENT" in ddl and "ck_schedules_kind" in ddl
