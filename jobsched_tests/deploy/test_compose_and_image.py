"""deploy/docker-compose.yaml against the Compose Specification's JSON schema (deploy/schemas/), and the
image's build file. No container runtime runs here, so the files are checked as their tools read them."""

from __future__ import annotations

import re
import tomllib

import jsonschema
import pytest

from jobsched_tests.deploy.files import (
    COMPOSE,
    DEPLOY,
    REPO,
    compose,
    env_example,
    interpolate,
    role_of,
    schema,
)

JOBSCHED_SERVICES = ("migrate", "code", "webserver", "daemon", "api")


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    jsonschema.Draft7Validator(schema("compose-spec.json")).validate(compose())


def test_the_schema_check_would_catch_a_mistake() -> None:
    broken = compose()
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_finished"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema("compose-spec.json")).validate(broken)


def test_one_image_built_once_and_every_role_from_commands_sh() -> None:
    services = compose()["services"]
    built = [name for name, spec in services.items() if "build" in spec]
    assert built == ["migrate"]
    assert {services[name]["image"] for name in JOBSCHED_SERVICES} == {"jobsched:local"}
    assert {name: role_of(services[name]["command"]) for name in JOBSCHED_SERVICES} == {
        name: name for name in JOBSCHED_SERVICES
    }
    assert services["daemon"]["deploy"]["replicas"] == 1


def test_migrate_runs_first_and_everything_has_health_checks_and_restarts() -> None:
    services = compose()["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("code", "webserver", "daemon", "api"):
        spec = services[name]
        assert spec["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert spec["restart"] == "unless-stopped", name
        assert spec["healthcheck"]["test"] == ["CMD", "/opt/jobsched/deploy/commands.sh", "health", name]
    assert services["postgres"]["healthcheck"]["test"][0] == "CMD-SHELL"
    for name in ("webserver", "daemon"):
        assert services[name]["depends_on"]["code"] == {"condition": "service_healthy"}


def test_secrets_come_from_an_uncommitted_env_file() -> None:
    text = COMPOSE.read_text()
    assert "PASSWORD: dagster" not in text and ":dagster@" not in text
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert required == {"DAGSTER_PG_PASSWORD"}
    assert {"DAGSTER_PG_PASSWORD", "JOBSCHED_API_TOKEN"} <= set(env_example())
    with pytest.raises(KeyError, match="DAGSTER_PG_PASSWORD"):
        interpolate(text, {})
    for name in JOBSCHED_SERVICES:
        assert compose()["services"][name]["env_file"] == [".env"]
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored and "deploy/.env" in ignored
    url = compose()["services"]["api"]["environment"]["JOBSCHED_DATABASE_URL"]
    assert url == "postgresql+psycopg2://dagster:change-me@postgres:5432/dagster"


def test_dockerfile_is_non_root_pinned_cached_and_health_checked() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    base = next(line for line in instructions if line.startswith("FROM "))
    assert re.fullmatch(r"FROM python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    copies = [line for line in instructions if line.startswith("COPY ")]
    assert copies[0] == "COPY pyproject.toml ./"  # dependencies install before any code is copied
    first_code = next(i for i, line in enumerate(instructions) if line.startswith("COPY jobsched"))
    install = next(i for i, line in enumerate(instructions) if "pip install -r" in line)
    assert install < first_code
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and user[-1] not in ("USER root", "USER 0") and instructions.index(user[-1]) > first_code
    assert any(line.startswith("HEALTHCHECK ") for line in instructions)
    assert "optional-dependencies']['k8s']" in "\n".join(lines)


def test_image_installs_the_run_launcher_the_chart_selects_pinned_to_dagster() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = dict(
        dep.split("==")
        for dep in project["dependencies"] + project["optional-dependencies"]["k8s"]
        if "==" in dep
    )
    # Dagster's libraries are versioned 0.(major+16).patch alongside dagster 1.major.patch
    major, minor, patch = pins["dagster"].split(".")
    assert pins["dagster-k8s"] == f"0.{int(minor) + 16}.{patch}" == pins["dagster-postgres"]


def test_dockerignore_keeps_the_context_small() -> None:
    rules = (REPO / ".dockerignore").read_text().splitlines()
    assert "**" in rules  # deny everything, then allow what the image needs
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    assert {"pyproject.toml", "jobsched/**", "deploy/commands.sh"} <= allowed
    assert not any(".venv" in rule or ".env" in rule for rule in allowed)
