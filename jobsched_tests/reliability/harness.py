"""Real dagster-daemon processes on the local Postgres (Dagster storage and jobsched tables)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from jobsched.defs.pgstorage import storage_config
from jobsched.store.db import engine_for
from jobsched_tests.processes import stop_group

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def write_dagster_home(home: Path, dagster_db_url: str, overrides: dict[str, dict] | None = None) -> None:
    """The repo's dagster.yaml with Dagster's own storage moved to Postgres (pooled, as deploy/ has it);
    `overrides` update sections (e.g. shorter run-monitoring intervals: a trial sees a dead worker sooner)."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    config["storage"] = storage_config(dagster_db_url)
    for section, values in (overrides or {}).items():
        config[section] = {**config.get(section, {}), **values}
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))


@dataclass
class Deployment:
    home: Path
    jobsched_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    daemons: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DAGSTER_HOME=str(self.home),
            JOBSCHED_DATABASE_URL=self.jobsched_url,
            JOBSCHED_WAREHOUSE_URL=self.jobsched_url,
            JOBSCHED_DATA_DIR=str(self.home / "data"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start_daemon(self) -> subprocess.Popen:
        index = len(self.daemons)
        log = open(self.home / f"daemon-{index}.log", "ab")  # noqa: SIM115 - the process owns it
        process = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.daemons.append(process)
        return process

    def kill(self, process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """SIGKILL the daemon and its children (code server, run workers) as a crash would."""
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self) -> None:
        """End every process this deployment started, also children orphaned by a killed daemon (they keep
        its process group; checked by their DAGSTER_HOME so no other process is ever signalled)."""
        # The whole group, not just the daemon: on SIGTERM its code server waits for the run workers it
        # launched to finish, and would outlive the test (reparented to init) if only the daemon were awaited.
        for process in self.daemons:
            stop_group(process.pid)
            process.wait(timeout=30)
        groups = {process.pid for process in self.daemons}
        marker = f"DAGSTER_HOME={self.home}".encode()
        for pid, _ppid, _cmd in processes():
            try:
                if os.getpgid(pid) in groups and marker in Path(f"/proc/{pid}/environ").read_bytes():
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                continue

    def logs(self, tail: int | None = 4000) -> str:
        texts = [p.read_text(errors="replace") for p in sorted(self.home.glob("daemon-*.log"))]
        return "\n".join(text[-tail:] if tail else text for text in texts)

    @property
    def db(self) -> sa.Engine:
        return engine_for(self.jobsched_url)

    def sql(self, statement: str, **params: Any) -> list[sa.Row]:
        with self.db.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []

    def progress(self) -> tuple:
        """What moves while fires are being worked on: ledger rows by status, adapter executions."""
        try:
            ledger = tuple(
                self.sql("SELECT status, count(*) FROM fire_ledger GROUP BY status ORDER BY status")
            )
        except Exception:  # noqa: BLE001 - not migrated yet
            ledger = ()
        try:
            done = self.sql("SELECT count(*) FROM demo_echo_executions")[0][0]
        except Exception:  # noqa: BLE001 - the table appears with the first execution
            done = 0
        return ledger, done

    def wait(
        self, predicate: Callable[[], Any], stall: float = 240, what: str = "", interval: float = 1.0
    ) -> Any:
        """Wait for `predicate` while the deployment makes progress (see `progress`); fail only after `stall`
        seconds in which nothing moved, or after a generous 30-minute ceiling."""
        holder: dict[str, Any] = {}

        def measure() -> tuple:
            holder["value"] = predicate()
            return (bool(holder["value"]), self.progress())

        wait_for_progress(measure, lambda m: m[0], stall=stall, what=what, interval=interval, ceiling=1800)
        return holder["value"]

    def instance(self):  # type: ignore[no-untyped-def]
        from dagster import DagsterInstance

        return DagsterInstance.from_config(str(self.home))


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), ppid, cmdline.strip()))
    return found


def descendants(root: int) -> list[tuple[int, str]]:
    table = processes()
    children: dict[int, list[tuple[int, str]]] = {}
    for pid, ppid, cmd in table:
        children.setdefault(ppid, []).append((pid, cmd))
    out, todo = [], [root]
    while todo:
        for pid, cmd in children.get(todo.pop(), []):
            out.append((pid, cmd))
            todo.append(pid)
    return out


def code_servers(daemon: subprocess.Popen) -> list[int]:
    return [pid for pid, cmd in descendants(daemon.pid) if "api grpc" in cmd and "spawn_main" not in cmd]


def run_workers(daemon: subprocess.Popen) -> list[int]:
    """Run workers: the code server's spawned children (DefaultRunLauncher), not its resource tracker."""
    return [
        pid for pid, cmd in descendants(daemon.pid) if "spawn_main" in cmd and "resource_tracker" not in cmd
    ]


def wait_for_progress(
    measure: Callable[[], Any],
    done: Callable[[Any], bool],
    stall: float,
    what: str,
    interval: float = 2.0,
    ceiling: float = 3600.0,
) -> Any:
    """Wait while `measure()` keeps changing; fail only after `stall` seconds without any change (or the
    generous `ceiling`). A loaded machine is slow, not stuck: progress, not a clock, decides."""
    start = last_change = time.monotonic()
    last = measure()
    while not done(last):
        time.sleep(interval)
        value = measure()
        now = time.monotonic()
        if value != last:
            last, last_change = value, now
        if now - last_change > stall or now - start > ceiling:
            raise AssertionError(f"no progress for {now - last_change:.0f}s waiting for {what}; last: {last}")
    return last


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 1.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(interval)


def next_minute(after: datetime | None = None) -> datetime:
    now = after or datetime.now(UTC)
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def sleep_until(instant: datetime) -> None:
    time.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))
