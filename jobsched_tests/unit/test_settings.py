"""Settings are read in one place (jobsched/settings.py) under the variable names users already set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobsched import settings
from jobsched.api.auth import AuthSettings
from jobsched.defs.sensors import claim_lease, lookahead
from jobsched.service.health import max_tick_age
from jobsched.service.planning import max_cpu_seconds

README = Path(__file__).resolve().parents[2] / "README.md"


def env_name(field: str) -> str:
    return "DAGSTER_HOME" if field == "dagster_home" else f"JOBSCHED_{field.upper()}"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    documented = set(re.findall(r"`(JOBSCHED_[A-Z0-9_]+)`", text))
    documented |= (
        {"JOBSCHED_ADAPTER_RETRY_DELAY"}
        if "`JOBSCHED_ADAPTER_MAX_RETRIES` / `_RETRY_DELAY`" in text
        else set()
    )
    missing = {env_name(f) for f in settings.Settings.model_fields} - documented - {"DAGSTER_HOME"}
    assert not missing, f"settings the README's Configuration table does not name: {sorted(missing)}"


def test_the_variables_users_set_reach_their_readers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOBSCHED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JOBSCHED_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("JOBSCHED_WAREHOUSE_URL", "")  # empty means unset: the database is the warehouse
    monkeypatch.setenv("JOBSCHED_API_TOKEN", "t0k")
    monkeypatch.setenv("JOBSCHED_API_OPEN_READS", " False ")
    monkeypatch.setenv("JOBSCHED_API_MAX_PLAN_CPU_SECONDS", "not a number")
    monkeypatch.setenv("JOBSCHED_HEALTH_MAX_TICK_AGE", "90")
    monkeypatch.setenv("JOBSCHED_LOOKAHEAD_SECONDS", "0")
    monkeypatch.setenv("JOBSCHED_CLAIM_LEASE_SECONDS", "7")
    assert settings.data_dir() == tmp_path
    assert settings.database_url() == "postgresql+psycopg2://u@h/db" == settings.warehouse_url()
    assert AuthSettings.from_env() == AuthSettings("t0k", False)
    assert max_cpu_seconds() == 0.5  # unreadable: the default, as before
    assert max_tick_age() == 90.0
    assert lookahead().total_seconds() == 0 and claim_lease().total_seconds() == 7


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBSCHED_HEALTH_MIN_HORIZON_DAYS", "sixty")
    with pytest.raises(ValueError, match="health_min_horizon_days"):
        settings.current()
