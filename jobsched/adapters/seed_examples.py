"""Example job definitions and schedules for the demo (`make run` seeds them), one or more per adapter.

They point at the sample server (JOBSCHED_SAMPLES_URL, default http://127.0.0.1:8765) and at the drop folder
and internal-trades database under settings.data_dir() (seeded by `python -m jobsched.samples.seed`); the
desk feeds also at the SFTP server (JOBSCHED_SFTP_PORT, default 8722) and the S3-compatible server
(JOBSCHED_S3_URL, default http://127.0.0.1:8766) that deploy/run-local.sh starts. Secrets are named by
environment variable (run-local.sh sets demo values), never written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobsched import settings

SAMPLES_URL = "http://127.0.0.1:8765"


def example_job_definitions(
    base_url: str | None = None, data_dir: Path | None = None
) -> list[dict[str, Any]]:
    base = (base_url or settings.current().samples_url or SAMPLES_URL).rstrip("/")
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
        *desk_feed_jobs(base, data),
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


SFTP_PORT = 8722
S3_URL = "http://127.0.0.1:8766"


def desk_feed_jobs(base: str, data: Path) -> list[dict[str, Any]]:
    """The nine desk feeds (issue 14): SFTP, S3, OAuth2 REST, ECB, zipped bhavcopy and four drop folders."""
    from jobsched.samples import desk_seed as demo

    sftp = {
        "host": "127.0.0.1",
        "port": settings.current().sftp_port or SFTP_PORT,
        "username": "custody",
        "known_hosts": str(data / "sftp_known_hosts"),
    }
    archive = str(data / "dropbox" / "archive")

    def folder(feed: str) -> dict[str, str]:
        return {"inbox": str(demo.dropbox(data, feed)), "archive": archive}

    def job(job_key: str, adapter: str, params: dict[str, Any], description: str) -> dict[str, Any]:
        return {"job_key": job_key, "adapter": adapter, "params": params, "description": description}

    return [
        job(
            f"custodian_positions_{demo.CUSTODY_ACCOUNTS[0].lower().replace('-', '')}",
            "custodian_positions",
            {
                "account": demo.CUSTODY_ACCOUNTS[0],
                "sftp": sftp | {"password_env": "JOBSCHED_SFTP_PASSWORD", "remote_dir": "/custody"},
            },
            "Custodian positions of the first custody account over SFTP (password login).",
        ),
        job(
            "bank_statements_camt_folder",
            "bank_statements",
            {"iban": demo.CAMT_IBAN_FOLDER, **folder("bank")},
            "camt.053 statement of the EUR account from the bank drop folder.",
        ),
        job(
            "bank_statements_camt_sftp",
            "bank_statements",
            {
                "iban": demo.CAMT_IBAN_SFTP,
                "sftp": sftp | {"key_file": str(data / "sftp_client_key"), "remote_dir": "/statements"},
            },
            "camt.053 statement of the GBP account over SFTP (key login).",
        ),
        job(
            "swift_statements_mt940",
            "swift_statements",
            {"account": demo.MT940_ACCOUNT, **folder("swift")},
            "MT940 statement of the NL account from the SWIFT drop folder.",
        ),
        job(
            "index_constituents_nifty50",
            "index_constituents",
            {
                "endpoint_url": settings.current().s3_url or S3_URL,
                "bucket": "index-provider",
                "index": "NIFTY50",
                "access_key_env": "JOBSCHED_S3_ACCESS_KEY",
                "secret_key_env": "JOBSCHED_S3_SECRET_KEY",
            },
            "NIFTY 50 constituents from the index provider's bucket.",
        ),
        job(
            "fund_nav_daily",
            "fund_nav",
            {
                "url": base + "/funds/v1/nav",
                "token_url": base + "/oauth/token",
                "page_size": 20,
                "client_id_env": "JOBSCHED_FUND_NAV_CLIENT_ID",
                "client_secret_env": "JOBSCHED_FUND_NAV_CLIENT_SECRET",
            },
            "Fund NAVs from the fund administrator's API (OAuth2 client credentials, paginated).",
        ),
        job(
            "ecb_reference_rates_daily",
            "ecb_reference_rates",
            {"url": base + "/ecb/eurofxref-hist-90d.xml?date={date:%Y-%m-%d}"},
            "ECB euro reference rates of the business date (90-day history file).",
        ),
        job(
            "exchange_bhavcopy_xnse",
            "exchange_bhavcopy",
            {
                "url": base
                + "/content/historical/EQUITIES/{date:%Y}/{mon}/cm{date:%d}{mon}{date:%Y}bhav.csv.zip",
                "exchange": "XNSE",
            },
            "NSE bhavcopy archive, every series.",
        ),
        job(
            "broker_confirms_kotak",
            "broker_confirms",
            {"broker": demo.CONFIRMS_BROKER, **folder("confirms")},
            "Kotak's trade confirmations workbook from the confirms drop folder.",
        ),
        job(
            "ratings_feed_ratingco",
            "ratings_feed",
            {"vendor": demo.RATINGS_VENDOR, **folder("ratings")},
            "Daily credit ratings extract (fixed width) from the ratings drop folder.",
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
    _schedule(
        "custodian_positions_0700_london",
        "custodian_positions_c100234",
        "0 7 * * 1-5",
        "Europe/London",
        "XLON",
        "skip",
    ),
    _schedule(
        "bank_camt_folder_0630_cet",
        "bank_statements_camt_folder",
        "30 6 * * 1-5",
        "Europe/Berlin",
        "XETR",
        "skip",
    ),
    _schedule(
        "bank_camt_sftp_0645_london",
        "bank_statements_camt_sftp",
        "45 6 * * 1-5",
        "Europe/London",
        "XLON",
        "skip",
    ),
    _schedule(
        "swift_mt940_0700_ams", "swift_statements_mt940", "0 7 * * 1-5", "Europe/Amsterdam", "XAMS", "skip"
    ),
    _schedule(
        "index_constituents_1900_ist",
        "index_constituents_nifty50",
        "0 19 * * 1-5",
        "Asia/Kolkata",
        "XBOM",
        "skip",
    ),
    _schedule("fund_nav_2200_ny", "fund_nav_daily", "0 22 * * 1-5", "America/New_York", "XNYS", "skip"),
    _schedule(
        "ecb_reference_rates_1615_cet",
        "ecb_reference_rates_daily",
        "15 16 * * 1-5",
        "Europe/Berlin",
        "XETR",
        "skip",
    ),
    _schedule(
        "exchange_bhavcopy_1900_ist", "exchange_bhavcopy_xnse", "0 19 * * 1-5", "Asia/Kolkata", "XBOM", "skip"
    ),
    _schedule(
        "broker_confirms_1930_ist", "broker_confirms_kotak", "30 19 * * 1-5", "Asia/Kolkata", "XBOM", "skip"
    ),
    _schedule(
        "ratings_feed_0600_ny", "ratings_feed_ratingco", "0 6 * * 1-5", "America/New_York", "XNYS", "skip"
    ),
]
