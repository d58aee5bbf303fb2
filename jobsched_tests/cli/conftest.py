"""Run the real click commands against a real database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from jobsched.cli import main

Invoke = Callable[..., Result]


@pytest.fixture
def cli(db_url: str) -> Invoke:
    """`cli("schedules", "list")` runs `jobsched --database-url <fresh db> schedules list`, on SQLite and
    on Postgres."""
    return make_invoker(db_url)


@pytest.fixture
def sqlite_cli(sqlite_url: str) -> Invoke:
    return make_invoker(sqlite_url)


def make_invoker(url: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:  # noqa: A002
        return runner.invoke(main, ["--database-url", url, *args], input=input, catch_exceptions=False)

    return invoke
