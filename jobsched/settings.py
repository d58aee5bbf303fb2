"""Where things live. Read from the environment on every call so tests can point elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    path = Path(os.environ.get("JOBSCHED_DATA_DIR", REPO_ROOT / ".jobsched"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """jobsched's own tables: SQLite file by default, Postgres when JOBSCHED_DATABASE_URL is set."""
    url = os.environ.get("JOBSCHED_DATABASE_URL") or f"sqlite:///{data_dir() / 'jobsched.db'}"
    return normalize_url(url)


def warehouse_url() -> str:
    """Where adapters load their data; defaults to jobsched's own database."""
    url = os.environ.get("JOBSCHED_WAREHOUSE_URL") or database_url()
    return normalize_url(url)


def normalize_url(url: str) -> str:
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg3, which dagster-postgres does not support.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def dagster_url() -> str:
    """The Dagster UI, for links from the API's pages to runs (JOBSCHED_DAGSTER_URL)."""
    return os.environ.get("JOBSCHED_DAGSTER_URL", "http://127.0.0.1:3000").rstrip("/")
