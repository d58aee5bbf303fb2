"""The instrument master reference file: any number of rows (>= 1M for the benchmark), deterministic."""

from __future__ import annotations

import gzip
import os
import random
import string
from datetime import date
from pathlib import Path
from typing import TextIO

from jobsched.samples.universe import isin_check_digit

HEADER = "instrument_id,isin,symbol,name,asset_class,mic,currency,lot_size,tick_size,listing_date,status\n"
ASSET_CLASSES = (("EQUITY", 55), ("BOND", 20), ("ETF", 8), ("FUTURE", 7), ("OPTION", 10))
VENUES = (
    ("XNSE", "INR", "IN"),
    ("XBOM", "INR", "IN"),
    ("XNYS", "USD", "US"),
    ("XNAS", "USD", "US"),
    ("XLON", "GBP", "GB"),
    ("XETR", "EUR", "DE"),
    ("XPAR", "EUR", "FR"),
    ("XTKS", "JPY", "JP"),
)
STATUSES = ("ACTIVE",) * 17 + ("SUSPENDED", "DELISTED", "DELISTED")
ALNUM = string.ascii_uppercase + string.digits


def write_instruments(out: TextIO, rows: int, day: date) -> None:
    rng = random.Random(f"instruments|{day.isoformat()}")
    classes = [c for c, weight in ASSET_CLASSES for _ in range(weight)]
    epoch = date(1990, 1, 1).toordinal()
    out.write(HEADER)
    buffer = []
    for n in range(1, rows + 1):
        mic, ccy, country = VENUES[n % len(VENUES)]
        body = country + "".join(rng.choices(ALNUM, k=9))
        asset_class = classes[n % len(classes)]
        symbol = "".join(rng.choices(string.ascii_uppercase, k=3 + n % 4))
        listing = date.fromordinal(epoch + rng.randrange(12_000))
        tick = "0.05" if ccy == "INR" else "0.01"
        buffer.append(
            f"INS{n:09d},{body}{isin_check_digit(body)},{symbol},{symbol.title()} {asset_class.title()} {n},"
            f"{asset_class},{mic},{ccy},{1 if asset_class != 'FUTURE' else 50},{tick},{listing.isoformat()},"
            f"{STATUSES[n % len(STATUSES)]}\n"
        )
        if len(buffer) >= 10_000:
            out.write("".join(buffer))
            buffer.clear()
    out.write("".join(buffer))


def instruments_file(folder: Path, rows: int, day: date) -> Path:
    """Generate (once; cached by name) a gzip CSV with `rows` instruments as of `day`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"instruments_{day:%Y%m%d}_{rows}.csv.gz"
    if path.exists():
        return path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as out:
        write_instruments(out, rows, day)
    os.replace(tmp, path)
    return path
