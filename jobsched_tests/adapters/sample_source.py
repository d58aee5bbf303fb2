"""The sample-source server as the tests drive it: a real subprocess, steered through /_control."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SampleSource:
    """`python -m jobsched.samples.server` on a free port; files under `root` override generated payloads."""

    def __init__(self, root: Path, token: str | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JOBSCHED_SAMPLES_QUIET="1")
        args = [
            sys.executable,
            "-m",
            "jobsched.samples.server",
            "--port",
            str(self.port),
            "--root",
            str(root),
        ]
        if token:
            env["SAMPLES_TEST_TOKEN"] = token
            args += ["--token-env", "SAMPLES_TEST_TOKEN"]
        self.process = subprocess.Popen(
            [*args, "--rate-limit", "0", "--no-seed"], env=env, stdout=subprocess.DEVNULL
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sample server exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/health", timeout=0.5).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"sample server at {self.url} not ready after 15s")

    def reset(self) -> None:
        """No faults, no rate limit, no request counts, no override files."""
        requests.post(f"{self.url}/_control/reset", json={}, timeout=5).raise_for_status()
        for child in self.root.iterdir():
            if child.name != ".cache":
                shutil.rmtree(child) if child.is_dir() else child.unlink()

    def fault(self, path: str, **fault: Any) -> None:
        """E.g. fault('/eod/', status=500, count=2) or fault('/ecb/', delay=2, count=-1)."""
        requests.post(
            f"{self.url}/_control/fault", json={"path": path, **fault}, timeout=5
        ).raise_for_status()

    def rate_limit(self, prefix: str, per_second: float, burst: int, retry_after: int = 1) -> None:
        body = {"prefix": prefix, "per_second": per_second, "burst": burst, "retry_after": retry_after}
        requests.post(f"{self.url}/_control/rate_limit", json=body, timeout=5).raise_for_status()

    def hits(self, prefix: str) -> int:
        """Requests served so far (faults and 429s included) whose path starts with `prefix`."""
        stats = requests.get(f"{self.url}/_control/stats", timeout=5).json()
        return sum(n for path, n in stats.items() if path.startswith(prefix))

    def override(self, path: str, content: str | bytes) -> Path:
        """Serve `content` at `path` instead of the generated payload."""
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        return target

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
