"""The README's commands, verbatim, against what `make run` starts in a fresh clone.

Blocks marked `<!-- readme-test -->` (bash, and sql run through SQLite) are joined, in README order, into
one `set -euo pipefail` script. The only change made to them: the API's port 8000 becomes the free port the
test's instance listens on. The clone is the repository's tracked files with the installed .venv linked in.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from dagster._core.instance import DagsterInstance, InstanceRef
from dagster._core.storage.dagster_run import RunsFilter

from jobsched_tests.deploy.conftest import REPO, LocalRun

pytestmark = [pytest.mark.slow, pytest.mark.daemon]
RUN_SQL = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(sys.stdin.read())"
MARK = re.compile(r"<!-- readme-test -->\s*\n```(bash|sql)\n(.*?)\n```", re.S)


def readme_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in MARK.finditer(text)]


def script_for(blocks: list[tuple[str, str]], api_port: int) -> str:
    lines = ["set -euo pipefail"]
    for number, (language, body) in enumerate(blocks, 1):
        lines.append(f"echo '=== README block {number} ({language})'")
        if language == "bash":
            lines.append(body.replace("127.0.0.1:8000", f"127.0.0.1:{api_port}"))
        else:
            command = f".venv/bin/python -c {shlex.quote(RUN_SQL)} .jobsched/jobsched.db"
            lines.append(f"{command} <<'SQL'\n{body}\nSQL")
    return "\n".join(lines) + "\n"


def fresh_clone(target: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def test_readme_points_nowhere_outside_the_repository() -> None:
    text = (REPO / "README.md").read_text()
    assert "../" not in text and "/work/" not in text
    for link in re.findall(r"\]\((?!https?://|#)([^)]+)\)", text):
        assert (REPO / link).exists(), link


def test_readme_commands_run_verbatim_after_make_run(tmp_path: Path) -> None:
    blocks = readme_blocks((REPO / "README.md").read_text())
    assert len(blocks) >= 5 and {language for language, _ in blocks} == {"bash", "sql"}
    clone = fresh_clone(tmp_path / "clone")
    local = LocalRun(tmp_path, repo=clone)
    try:
        local.start()
        script = tmp_path / "readme.sh"
        script.write_text(script_for(blocks, local.ports["api"]))
        markers = ("JOBSCHED_TEST_SESSION", "JOBSCHED_RUN_LOCAL_TEST")
        env = {
            k: v for k, v in local.env.items() if k in markers or not k.startswith(("DAGSTER_", "JOBSCHED_"))
        }
        # A real clone's editable install finds .jobsched/ next to its sources; this one's sources are
        # the worktree's, so point the CLI at the clone's data directory explicitly.
        env["JOBSCHED_DATA_DIR"] = str(clone / ".jobsched")
        done = subprocess.run(
            ["bash", str(script)], cwd=clone, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}"
        assert "schedule id: " in done.stdout

        with DagsterInstance.from_ref(InstanceRef.from_dir(str(clone / ".dagster_home"))) as instance:
            manual = instance.get_runs(RunsFilter(tags={"jobsched/trigger": "manual"}))
            jobs = {run.tags.get("jobsched/job") for run in manual}
        assert {"demo_echo", "eod_prices_xnse"} <= jobs, jobs
    finally:
        if local.process is not None and local.process.poll() is None:
            local.signal(signal.SIGINT)
        local.cleanup()
    assert local.leftovers() == {}
