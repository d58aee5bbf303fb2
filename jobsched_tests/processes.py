"""Processes the test suite starts: stop whole process groups, and find what the session left behind.

Every process a test starts inherits JOBSCHED_TEST_SESSION=<uuid> (set in conftest), which tells this
session's processes apart from the other suites, daemons and servers running on the same machine.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

MARKER = "JOBSCHED_TEST_SESSION"


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pgid: int, grace: float = 20.0) -> None:
    """SIGTERM a process group, wait for every member (not just its leader) to go, then SIGKILL it."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap()
            if not group_alive(pgid):
                return
            time.sleep(0.1)


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def marked_processes(value: str, marker: str = MARKER) -> dict[int, str]:
    """pid -> command line of every live process (other than this one) started with marker=value."""
    found: dict[int, str] = {}
    needle = f"{marker}={value}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie is gone, only its exit status is left for its parent
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
        except (OSError, IndexError):
            continue
    return found


def kill_marked(value: str, marker: str = MARKER) -> None:
    for pid in marked_processes(value, marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
