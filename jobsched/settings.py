"""Every setting jobsched reads from the environment, in one pydantic-settings model (README: Configuration).

`current()` reads the environment on every call, so tests and `make run` can point elsewhere without a
restart; nothing else in jobsched reads `os.environ` for a setting. (Adapters read the secrets their job
definition names, e.g. `token_env`, in adapters/sources: those names are data, not settings.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLAN_CPU_SECONDS = 0.5


def _open_reads(value: Any) -> bool:
    """Reads stay open unless the variable says 0, false or no (any other text keeps them open)."""
    return str(value).strip().lower() not in ("0", "false", "no")


def _plan_cpu(value: Any) -> float:
    """An unreadable value falls back to the default rather than refusing every request."""
    try:
        return max(0.01, float(value))
    except (TypeError, ValueError):
        return DEFAULT_PLAN_CPU_SECONDS


class Settings(BaseSettings):
    """JOBSCHED_<FIELD NAME> for each field (DAGSTER_HOME for dagster_home); an empty variable is unset."""

    model_config = SettingsConfigDict(env_prefix="JOBSCHED_", env_ignore_empty=True, extra="ignore")

    data_dir: Path = Field(
        REPO_ROOT / ".jobsched", description="SQLite files, drop folder, samples, API token"
    )
    database_url: str | None = Field(None, description="jobsched's tables (default: SQLite under data_dir)")
    warehouse_url: str | None = Field(None, description="where adapters load (default: database_url)")
    dagster_url: str = Field("http://127.0.0.1:3000", description="the Dagster UI the pages link runs to")
    dagster_home: Path | None = Field(
        None, validation_alias=AliasChoices("DAGSTER_HOME"), description="Dagster's instance folder"
    )
    # the API
    api_token: str | None = Field(None, description="bearer token for writes (unset: writes refused)")
    api_open_reads: Annotated[bool, BeforeValidator(_open_reads)] = True
    api_max_plan_cpu_seconds: Annotated[float, BeforeValidator(_plan_cpu)] = DEFAULT_PLAN_CPU_SECONDS
    health_max_tick_age: float = Field(60.0, description="seconds since the last tick before /health is 503")
    health_min_horizon_days: int = Field(60, description="days of calendar data a calendar in use needs")
    # the engine sensor and the adapter jobs
    lookahead_seconds: float = Field(9.0, description="how far ahead a tick waits for a due fire")
    tick_budget_seconds: float = Field(0.1, description="a burst tick returns its first runs after this")
    claim_lease_seconds: float | None = Field(None, description="re-emit a claim with no run after this")
    max_runtime_seconds: float = Field(3600.0, description="dagster/max_runtime unless the job sets one")
    adapter_max_retries: int = Field(3, description="RetryPolicy of the adapter step")
    adapter_retry_delay: float = Field(15.0, description="first retry delay (exponential backoff)")
    # where the demo's sample sources listen (adapters/seed_examples.py)
    samples_url: str | None = None
    sftp_port: int | None = None
    s3_url: str | None = None


def current() -> Settings:
    """The settings as the environment says now."""
    return Settings()


def data_dir() -> Path:
    path = current().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """jobsched's own tables: SQLite file by default, Postgres when JOBSCHED_DATABASE_URL is set."""
    url = current().database_url or f"sqlite:///{data_dir() / 'jobsched.db'}"
    return normalize_url(url)


def warehouse_url() -> str:
    """Where adapters load their data; defaults to jobsched's own database."""
    url = current().warehouse_url or database_url()
    return normalize_url(url)


def normalize_url(url: str) -> str:
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg3, which dagster-postgres does not support.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def dagster_url() -> str:
    """The Dagster UI, for links from the API's pages to runs (JOBSCHED_DAGSTER_URL)."""
    return current().dagster_url.rstrip("/")
