"""`deploy/run-local.sh` (what `make run` starts) as a user runs it: real services on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobsched_tests.processes import kill_marked, marked_processes, stop_group

REPO = Path(__file__).resolve().parents[2]
LOCAL_MARKER = "JOBSCHED_RUN_LOCAL_TEST"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class LocalRun:
    """One `deploy/run-local.sh` and the state it keeps (the same root across restarts)."""

    root: Path
    repo: Path = REPO
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen | None = None
    ports: dict[str, int] = field(default_factory=dict)
    starts: int = 0

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBSCHED_", "DAGSTER_"))}
        env.update(
            {
                "JOBSCHED_TEST_SESSION": os.environ.get("JOBSCHED_TEST_SESSION", ""),
                LOCAL_MARKER: self.marker,
                "DAGSTER_HOME": str(self.dagster_home),
                "JOBSCHED_DATA_DIR": str(self.data_dir),
                "DAGSTER_PORT": str(self.ports["dagster"]),
                "API_PORT": str(self.ports["api"]),
                "SAMPLES_PORT": str(self.ports["samples"]),
                "SFTP_PORT": str(self.ports["sftp"]),
                "S3_PORT": str(self.ports["s3"]),
                "JOBSCHED_ADAPTER_MAX_RETRIES": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    @property
    def dagster_home(self) -> Path:
        return self.repo / ".dagster_home" if self.repo != REPO else self.root / "dagster_home"

    @property
    def data_dir(self) -> Path:
        return self.repo / ".jobsched" if self.repo != REPO else self.root / "data"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def dagster(self) -> str:
        return f"http://127.0.0.1:{self.ports['dagster']}"

    @property
    def log(self) -> Path:
        return self.root / f"run-local-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self.ports = {name: free_port() for name in ("dagster", "api", "samples", "sftp", "s3")}
        handle = open(self.log, "wb")  # noqa: SIM115 - the child writes it
        # Its own session, like a terminal's foreground job: a signal to the group is what Ctrl-C sends.
        self.process = subprocess.Popen(
            ["bash", "deploy/run-local.sh"],
            cwd=self.repo,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._up, 300, f"run-local.sh to serve the API and Dagster ({self.log})", 1.0)

    def _up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"run-local.sh exited early: {self.tail()}")
        try:
            return (
                httpx.get(self.api + "/", timeout=3).status_code == 200
                and httpx.get(self.dagster + "/server_info", timeout=3).status_code == 200
            )
        except httpx.HTTPError:
            return False

    def signal(self, sig: int) -> float:
        """Send `sig` to the script's process group; seconds until the script exited."""
        assert self.process is not None
        started = time.monotonic()
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=120)
        return time.monotonic() - started

    def leftovers(self) -> dict[int, str]:
        return marked_processes(self.marker, LOCAL_MARKER)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process.pid, grace=15)
        kill_marked(self.marker, LOCAL_MARKER)


@pytest.fixture
def local_run(tmp_path: Path) -> Iterator[LocalRun]:
    run = LocalRun(tmp_path)
    try:
        yield run
    finally:
        run.cleanup()


__all__ = ["LocalRun", "signal", "wait_until"]
