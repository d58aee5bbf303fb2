"""Example job definitions and schedules for the demo (`make run` seeds them), one or more per adapter.

They point at the sample server (JOBSCHED_SAMPLES_URL, default http://127.0.0.1:8765) and at the drop folder
and internal-trades database under settings.data_dir() (seeded by `python -m jobsched.samples.seed`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jobsched import settings

SAMPLES_URL = "http://127.0.0.1:8765"


def example_job_definitions(
    base_url: str | None = None, data_dir: Path | None = None
) -> list[dict[str, Any]]:
    base = (base_url or os.environ.get("JOBSCHED_SAMPLES_URL") or SAMPLES_URL).rstrip("/")
    data = data_dir or settings.data_dir()
    inbox, archive = str(data / "dropbox" / "holdings"), str(data / "dropbox" / "archive")
    trades_db = f"sqlite:///{data / 'internal_trades.db'}"

    def job(job_key: str, adapter: str, params: dict[str, Any], description: str) -> dict[str, Any]:
        return {"job_key": job_key, "adapter": adapter, "params": params, "description": description}

    def portfolio(account: str, broker: str) -> dict[str, Any]:
        return {"account": account, "broker": broker, "inbox": inbox, "archive": archive}

    return [
        job("demo_echo", "demo_echo", {"message": "hello from jobsched"}, "Records each fire (demo)."),
        job(
            "portfolio_ibkr_u1234567",
            "portfolio_import",
            portfolio("U1234567", "IBKR"),
            "Holdings of IBKR account U1234567 from the broker drop folder.",
        ),
        job(
            "portfolio_zerodha_zx9876",
            "portfolio_import",
            portfolio("ZX9876", "ZERODHA"),
            "Holdings of Zerodha account ZX9876 from the broker drop folder.",
        ),
        job(
            "eod_prices_xnse",
            "eod_prices",
            {"url": base + "/eod/bhavcopy/{date:%Y%m%d}.csv", "exchange": "XNSE", "series": ["EQ"]},
            "NSE end-of-day bhavcopy (EQ series).",
        ),
        job(
            "fx_rates_ecb",
            "fx_rates",
            {"url": base + "/ecb/eurofxref-daily.xml?date={date:%Y-%m-%d}"},
            "ECB euro foreign exchange reference rates.",
        ),
        job(
            "corporate_actions_in",
            "corporate_actions",
            {"url": base + "/corporate-actions/v1/events", "page_size": 10, "token_env": "JOBSCHED_CA_TOKEN"},
            "Corporate actions with ex-date on the business date (paginated, rate-limited API).",
        ),
        job(
            "trade_recon_u1234567",
            "trade_reconciliation",
            {
                "account": "U1234567",
                "trades_url": trades_db,
                "broker_file_url": base + "/broker/trades/{account}/{date:%Y%m%d}.csv",
            },
            "Internal trades vs the broker's confirmations for U1234567.",
        ),
        job(
            "instrument_master_daily",
            "instrument_master",
            {"url": base + "/reference/instruments/{date:%Y%m%d}.csv.gz?rows=100000"},
            "Instrument reference file (100k rows in the demo; the benchmark uses 1M).",
        ),
        job(
            "housekeeping",
            "housekeeping",
            {"ledger_days": 90, "snapshot_days": 30, "snapshot_tables": ["instruments"], "batch_rows": 10000},
            "Purges finished fires older than 90 days and instrument snapshots older than 30 days.",
        ),
    ]


def _schedule(
    name: str, job_key: str, cron: str, timezone: str, calendar: str | None, rule: str
) -> dict[str, Any]:
    return {
        "name": name,
        "job_key": job_key,
        "kind": "cron",
        "cron": cron,
        "timezone": timezone,
        "calendar": calendar,
        "holiday_rule": rule,
    }


EXAMPLE_JOB_DEFINITIONS: list[dict[str, Any]] = example_job_definitions()

EXAMPLE_SCHEDULES: list[dict[str, Any]] = [
    _schedule("demo_echo_every_minute", "demo_echo", "* * * * *", "UTC", None, "ignore"),
    _schedule(
        "portfolio_u1234567_after_close",
        "portfolio_ibkr_u1234567",
        "30 18 * * 1-5",
        "America/New_York",
        "XNYS",
        "skip",
    ),
    _schedule(
        "portfolio_zx9876_evening", "portfolio_zerodha_zx9876", "0 19 * * 1-5", "Asia/Kolkata", "XBOM", "skip"
    ),
    _schedule("eod_prices_xnse_1830", "eod_prices_xnse", "30 18 * * 1-5", "Asia/Kolkata", "XBOM", "skip"),
    _schedule("fx_rates_ecb_1615_cet", "fx_rates_ecb", "15 16 * * 1-5", "Europe/Berlin", None, "skip"),
    _schedule(
        "corporate_actions_morning", "corporate_actions_in", "0 7 * * 1-5", "Asia/Kolkata", "XBOM", "skip"
    ),
    _schedule(
        "trade_recon_u1234567_t0", "trade_recon_u1234567", "0 20 * * 1-5", "America/New_York", "XNYS", "next"
    ),
    _schedule("instrument_master_0500_utc", "instrument_master_daily", "0 5 * * *", "UTC", None, "ignore"),
    _schedule("housekeeping_0230_utc", "housekeeping", "30 2 * * *", "UTC", None, "ignore"),
]
