"""The production topology as processes, with the commands compose and the chart run (deploy/commands.sh):
Postgres (one database for Dagster and jobsched), the migrate one-shot, one gRPC code server, two webservers,
one daemon, two API replicas, deploy/dagster.yaml and deploy/workspace.grpc.yaml."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from jobsched_tests.conftest import create_database, drop_database, require_postgres
from jobsched_tests.deploy.files import DEPLOY, compose, role_of
from jobsched_tests.reliability.harness import wait_until

pytestmark = [pytest.mark.daemon, pytest.mark.slow, pytest.mark.postgres]

BIN = Path(sys.executable).parent
TOKEN = "topology-token-0123456789"
RUNS = "{ runsOrError(limit: 50) { __typename ... on Runs { results { runId status } } } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Topology:
    root: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        return [str(DEPLOY / "commands.sh"), *args]

    def start(self, name: str, role: str, **env: str) -> None:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - the process owns it
        self.processes[name] = subprocess.Popen(
            self.command(role),
            env=self.env | env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name].env = self.env | env  # type: ignore[attr-defined]

    def healthy(self, name: str, role: str) -> bool:
        process = self.processes[name]
        assert process.poll() is None, f"{name} exited with {process.returncode}:\n{self.log(name)}"
        check = self.command("health", role)
        env = process.env  # type: ignore[attr-defined]
        return subprocess.run(check, env=env, capture_output=True, timeout=120).returncode == 0

    def stop(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            except ProcessLookupError:
                pass

    def stop_all(self) -> None:
        for name in list(self.processes):
            try:
                self.stop(name)
            except Exception:  # noqa: BLE001 - keep stopping the others
                os.killpg(self.processes[name].pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[tuple[Topology, str]]:
    require_postgres()
    url = create_database("jobsched_topology")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    parsed = sa.make_url(url)
    env = dict(os.environ) | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": parsed.host or "127.0.0.1",
        "DAGSTER_PG_USER": parsed.username or "postgres",
        "DAGSTER_PG_PASSWORD": parsed.password or "unused-local-trust",
        "DAGSTER_PG_DB": parsed.database or "",
        "JOBSCHED_DATABASE_URL": url,
        "JOBSCHED_DATA_DIR": str(tmp_path / "data"),
        "JOBSCHED_API_TOKEN": TOKEN,
        "BIND_HOST": "127.0.0.1",
        "DAGSTER_CODE_HOST": "127.0.0.1",
        "DAGSTER_CODE_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    topo = Topology(tmp_path, env)
    try:
        yield topo, url
    finally:
        topo.stop_all()
        for name in topo.processes:
            print(f"--- {name}\n{topo.log(name)}")
        drop_database(url)


def sql(url: str, statement: str, **params: Any) -> list[sa.Row]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def graphql_run_ids(port: int) -> set[str]:
    response = requests.post(f"http://127.0.0.1:{port}/graphql", json={"query": RUNS}, timeout=30)
    response.raise_for_status()
    runs = response.json()["data"]["runsOrError"]
    assert runs["__typename"] == "Runs", runs
    return {run["runId"] for run in runs["results"]}


def edit(port: int, schedule_id: int, description: str) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}/schedules/{schedule_id}"
    current = requests.get(base, timeout=30)
    current.raise_for_status()
    response = requests.patch(
        base,
        json={"description": description},
        headers={"Authorization": f"Bearer {TOKEN}", "If-Match": current.headers["ETag"]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_production_topology_fires_sql_schedules_and_survives_losing_a_replica(
    topology: tuple[Topology, str],
) -> None:
    topo, url = topology
    services = compose()["services"]
    roles = {name: role_of(spec["command"]) for name, spec in services.items() if "command" in spec}
    assert roles == {n: n for n in ("migrate", "code", "webserver", "daemon", "api")}
    replicas = {name: services[name].get("deploy", {}).get("replicas", 1) for name in roles}
    assert replicas == {"migrate": 1, "code": 1, "webserver": 2, "daemon": 1, "api": 2}

    migrate = subprocess.run(
        topo.command("migrate"), env=topo.env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    sql(url, "INSERT INTO job_definitions (job_key, adapter, params) VALUES ('echo', 'demo_echo', '{}')")
    sql(
        url,
        "INSERT INTO schedules (name, job_key, cron, timezone)"
        " VALUES ('topology', 'echo', '* * * * *', 'UTC')",
    )
    schedule_id = sql(url, "SELECT id FROM schedules WHERE name = 'topology'")[0][0]

    topo.start("code", "code")
    wait_until(lambda: topo.healthy("code", "code"), 240, 2, "the gRPC code server")
    web = {f"webserver-{i}": free_port() for i in (1, 2)}
    api = {f"api-{i}": free_port() for i in (1, 2)}
    for name, port in web.items():
        topo.start(name, "webserver", WEBSERVER_PORT=str(port))
    topo.start("daemon", "daemon")
    for name, port in api.items():
        topo.start(name, "api", API_PORT=str(port))
    for name in (*web, *api):
        role = name.split("-")[0]
        wait_until(lambda name=name, role=role: topo.healthy(name, role), 240, 2, f"{name} healthy")

    def fired_runs() -> set[str]:
        rows = sql(
            url, "SELECT run_id FROM fire_ledger WHERE schedule_id = :s AND status = 'success'", s=schedule_id
        )
        return {row[0] for row in rows if row[0]}

    run_ids = wait_until(fired_runs, 300, 2, "a SQL-written schedule's fire to succeed through the daemon")
    wait_until(lambda: topo.healthy("daemon", "daemon"), 120, 2, "daemon heartbeats")
    for port in web.values():
        assert run_ids <= graphql_run_ids(port)

    first = edit(api["api-1"], schedule_id, "edited through replica 1")
    second = edit(api["api-2"], schedule_id, "edited through replica 2")
    assert second["version"] == first["version"] + 1

    topo.stop("webserver-1")
    topo.stop("api-1")
    assert run_ids <= graphql_run_ids(web["webserver-2"])
    assert (
        edit(api["api-2"], schedule_id, "after losing replica 1")["description"] == "after losing replica 1"
    )
    assert requests.get(f"http://127.0.0.1:{api['api-2']}/ready", timeout=30).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{api['api-1']}/live", timeout=5)
