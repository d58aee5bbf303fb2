"""Drop-folder sources: one file per business date found by pattern, archived after a committed load."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from jobsched.adapters.base import Log
from jobsched.adapters.errors import SourceError

IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


def archive_dir_for(archive: Path, business_date: date) -> Path:
    return archive / f"{business_date:%Y}" / f"{business_date:%m}" / f"{business_date:%d}"


def find_file(
    inbox: Path, pattern: str, business_date: date, archive: Path | None, log: Log
) -> tuple[Path, bool]:
    """The newest file in `inbox` matching `pattern` (a glob after formatting); else, for a re-run, the
    newest archived copy for that date. Returns (path, from_archive)."""
    matches = _matches(inbox, pattern)
    if matches:
        if len(matches) > 1:
            log.warning(
                f"{len(matches)} files match {pattern!r} in {inbox}; loading the newest, {matches[0].name}"
            )
        return matches[0], False
    if archive is not None:
        archived = _matches(archive_dir_for(archive, business_date), pattern + "*")
        if archived:
            log.info(f"no new delivery of {pattern!r}; re-loading the archived copy {archived[0]}")
            return archived[0], True
    raise SourceError(
        str(inbox), f"no file matching {pattern!r} for business date {business_date.isoformat()}"
    )


def _matches(folder: Path, pattern: str) -> list[Path]:
    if not folder.is_dir():
        return []
    files = [
        p
        for p in folder.glob(pattern)
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def archive_file(path: Path, archive: Path, business_date: date, run_id: str) -> Path:
    """Move a loaded file into archive/YYYY/MM/DD/; a second delivery of the same name keeps both."""
    target_dir = archive_dir_for(archive, business_date)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.name}.{run_id[:8]}"
    shutil.move(str(path), target)
    return target
