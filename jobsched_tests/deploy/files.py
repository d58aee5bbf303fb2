"""Reading the deploy/ files the way their tools do (compose interpolation, multi-document manifests)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SCHEMAS = DEPLOY / "schemas"
COMPOSE = DEPLOY / "docker-compose.yaml"
COMMANDS = "/opt/jobsched/deploy/commands.sh"

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ (a literal $)."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        if op and op.endswith("-"):
            return arg
        if op and op.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        return ""

    return _VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), env_example() if env is None else env))


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


def manifests(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def role_of(command: list[str]) -> str:
    """The role a compose/Kubernetes command runs; it must be `deploy/commands.sh <role>`."""
    assert command[0] == COMMANDS and len(command) == 2, command
    return command[1]
