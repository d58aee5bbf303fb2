"""Apply jobsched's Alembic migrations to a database (SQLite or Postgres)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from jobsched import settings
from jobsched.store.db import engine_for

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    url = settings.normalize_url(url or settings.database_url())
    with engine_for(url).begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
