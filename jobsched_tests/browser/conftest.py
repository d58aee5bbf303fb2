"""Real processes for the browser test: `jobsched api` (uvicorn), `dagster-webserver`, headless Chromium.

Chromium and chromedriver come from the Debian packages `chromium` and `chromium-driver`. Missing: skip, but
fail under CI=true."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jobsched.store.migrate import upgrade
from jobsched_tests.processes import stop_group

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = "browser-test-token"
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        stop_group(self.process.pid, grace=15)  # the whole group: the webserver's code server too
        self.process.wait(timeout=15)

    def wait_until_up(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.url} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500 or path == "/health":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.url}{path} not up after {timeout}s: {self.log.read_text()[-3000:]}")


def start(command: list[str], env: dict[str, str], log: Path, port: int) -> Server:
    handle = open(log, "wb")  # noqa: SIM115 - the child process writes it
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Server(process, f"http://127.0.0.1:{port}", log)


@dataclass
class Stack:
    database_url: str
    dagster_home: Path
    api: Server
    dagster: Server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{root / 'jobsched.db'}"
    upgrade(database_url)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    api_port, dagster_port = free_port(), free_port()
    env = dict(os.environ) | {
        "JOBSCHED_DAGSTER_URL": f"http://127.0.0.1:{dagster_port}",
        "DAGSTER_HOME": str(home),
        "JOBSCHED_DATABASE_URL": database_url,
        "JOBSCHED_DATA_DIR": str(root / "data"),
        "JOBSCHED_API_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    api = start([str(BIN / "jobsched"), "api", "--port", str(api_port)], env, root / "api.log", api_port)
    dagster = start(
        [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(dagster_port)],
        env,
        root / "dagster.log",
        dagster_port,
    )
    try:
        api.wait_until_up("/health", 60)
        yield Stack(database_url, home, api, dagster)
    finally:
        api.stop()
        dagster.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        _missing("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"jobsched-chromium-{os.getpid()}"
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
