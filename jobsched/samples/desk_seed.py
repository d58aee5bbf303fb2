"""Seed the files of the desk's other feeds for the demo: drop folders (camt.053, MT940, Excel confirms,
fixed-width ratings) and the SFTP server's root (custodian positions, camt.053). Written atomically
(temp name, then rename), skipped when already delivered or archived."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from jobsched.samples import feeds

CUSTODY_ACCOUNTS = ("C-100234", "C-100577")
CAMT_IBAN_FOLDER = "DE89370400440532013000"
CAMT_IBAN_SFTP = "GB33BUKB20201555555555"
MT940_ACCOUNT = "NL91ABNA0417164300"
CONFIRMS_BROKER = "KOTAK"
RATINGS_VENDOR = "RATINGCO"


def dropbox(data_dir: Path, feed: str) -> Path:
    return data_dir / "dropbox" / feed


def sftp_root(data_dir: Path) -> Path:
    return data_dir / "sftp"


def seed_desk_feeds(data_dir: Path, days: Iterable[date]) -> dict[str, int]:
    archive = data_dir / "dropbox" / "archive"
    sftp = sftp_root(data_dir)
    counts = dict.fromkeys(
        ("custodian_files", "camt053_files", "mt940_files", "confirm_files", "ratings_files"), 0
    )
    for day in days:
        for account in CUSTODY_ACCOUNTS:
            counts["custodian_files"] += _write(
                sftp / "custody", None, f"positions_{account}_{day:%Y%m%d}.csv", day,
                _text(feeds.custodian_positions_csv, account, day),
            )  # fmt: skip
        counts["camt053_files"] += _write(
            dropbox(data_dir, "bank"), archive, f"camt053_{CAMT_IBAN_FOLDER}_{day:%Y%m%d}.xml", day,
            _text(feeds.camt053_xml, CAMT_IBAN_FOLDER, day),
        )  # fmt: skip
        counts["camt053_files"] += _write(
            sftp / "statements", None, f"camt053_{CAMT_IBAN_SFTP}_{day:%Y%m%d}.xml", day,
            _text(feeds.camt053_xml, CAMT_IBAN_SFTP, day, currency="GBP", bic="BUKBGB22XXX"),
        )  # fmt: skip
        counts["mt940_files"] += _write(
            dropbox(data_dir, "swift"), archive, f"mt940_{MT940_ACCOUNT}_{day:%Y%m%d}.sta", day,
            _text(feeds.mt940, MT940_ACCOUNT, day, encoding="latin-1"),
        )  # fmt: skip
        counts["confirm_files"] += _write(
            dropbox(data_dir, "confirms"), archive, f"confirms_{CONFIRMS_BROKER}_{day:%Y%m%d}.xlsx", day,
            partial(feeds.broker_confirms_xlsx, CONFIRMS_BROKER, day),
        )  # fmt: skip
        counts["ratings_files"] += _write(
            dropbox(data_dir, "ratings"), archive, f"ratings_{RATINGS_VENDOR}_{day:%Y%m%d}.dat", day,
            _text(feeds.ratings_fixed_width, day, RATINGS_VENDOR),
        )  # fmt: skip
    return counts


def _text(
    make: Callable[..., str], *args: Any, encoding: str = "utf-8", **kwargs: Any
) -> Callable[[], bytes]:
    """The file's bytes, made only when the file is written."""
    return lambda: make(*args, **kwargs).encode(encoding)


def _write(folder: Path, archive: Path | None, name: str, day: date, content: Callable[[], bytes]) -> int:
    if archive is not None and (archive / f"{day:%Y/%m/%d}" / name).exists():
        return 0
    path = folder / name
    if path.exists():
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content())
    tmp.replace(path)
    return 1
