"""Seed the demo's non-HTTP sources: broker holdings files in the drop folder, the internal trades database.

    python -m jobsched.samples.seed [--data-dir DIR] [--days-back 10] [--days-ahead 30]

Files and trades are written for every weekday in the window around today; re-running is harmless.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from jobsched import settings
from jobsched.samples.payloads import holdings_csv, internal_trades
from jobsched.samples.universe import is_weekday
from jobsched.store.db import engine_for

DEMO_ACCOUNTS = ("U1234567", "ZX9876")

trades_metadata = sa.MetaData()
internal_trades_table = sa.Table(
    "internal_trades",
    trades_metadata,
    sa.Column("trade_id", sa.String(64), primary_key=True),
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("trade_date", sa.String(10), nullable=False, index=True),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("side", sa.String(4), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
)


def drop_folder(data_dir: Path) -> tuple[Path, Path]:
    """(inbox, archive) of the demo's broker holdings drop folder."""
    return data_dir / "dropbox" / "holdings", data_dir / "dropbox" / "archive"


def internal_trades_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'internal_trades.db'}"


def weekdays(today: date, days_back: int, days_ahead: int) -> list[date]:
    days = (today + timedelta(days=n) for n in range(-days_back, days_ahead + 1))
    return [d for d in days if is_weekday(d)]


def seed_holdings(
    inbox: Path, accounts: Iterable[str], days: Iterable[date], archive: Path | None = None
) -> int:
    """Write holdings_<account>_<yyyymmdd>.csv for each day not already delivered (or archived)."""
    inbox.mkdir(parents=True, exist_ok=True)
    written = 0
    for day in days:
        for account in accounts:
            name = f"holdings_{account}_{day:%Y%m%d}.csv"
            if archive is not None and (archive / f"{day:%Y/%m/%d}" / name).exists():
                continue
            path = inbox / name
            if not path.exists():
                tmp = path.with_suffix(".csv.tmp")
                tmp.write_text(holdings_csv(account, day))
                tmp.replace(path)
                written += 1
    return written


def seed_internal_trades(url: str, accounts: Iterable[str], days: Iterable[date]) -> int:
    """Replace the internal trades of each (account, day) with the sample trades."""
    engine = engine_for(url)
    trades_metadata.create_all(engine)
    rows = 0
    with engine.begin() as conn:
        for day in days:
            for account in accounts:
                table = internal_trades_table
                conn.execute(
                    table.delete().where(table.c.account == account, table.c.trade_date == day.isoformat())
                )
                batch = internal_trades(account, day)
                if batch:
                    conn.execute(table.insert(), batch)
                rows += len(batch)
    return rows


def seed_demo(data_dir: Path, today: date, days_back: int = 10, days_ahead: int = 30) -> dict[str, int]:
    days = weekdays(today, days_back, days_ahead)
    inbox, archive = drop_folder(data_dir)
    from jobsched.samples.desk_seed import seed_desk_feeds

    return {
        "holdings_files": seed_holdings(inbox, DEMO_ACCOUNTS, days, archive),
        "internal_trades": seed_internal_trades(internal_trades_url(data_dir), DEMO_ACCOUNTS, days),
        **seed_desk_feeds(data_dir, days),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="default: settings.data_dir()")
    parser.add_argument("--days-back", type=int, default=10)
    parser.add_argument("--days-ahead", type=int, default=30)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or settings.data_dir()
    counts = seed_demo(data_dir, date.today(), args.days_back, args.days_ahead)
    print(f"seeded {data_dir}: {counts}", flush=True)


if __name__ == "__main__":
    main()
