"""Sample payloads in the formats real sources deliver. Pure functions of (date, account, ...)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from jobsched.samples.universe import equities, is_weekday, price_on, rng_for

BHAV_HEADER = [
    "SYMBOL",
    "SERIES",
    "OPEN",
    "HIGH",
    "LOW",
    "CLOSE",
    "LAST",
    "PREVCLOSE",
    "TOTTRDQTY",
    "TOTTRDVAL",
    "TIMESTAMP",
    "TOTALTRADES",
    "ISIN",
]

ECB_BASE = {
    "USD": 1.0815,
    "JPY": 161.42,
    "BGN": 1.9558,
    "CZK": 25.241,
    "DKK": 7.4593,
    "GBP": 0.85203,
    "HUF": 395.83,
    "PLN": 4.3195,
    "RON": 4.9753,
    "SEK": 11.5365,
    "CHF": 0.9562,
    "ISK": 149.9,
    "NOK": 11.783,
    "TRY": 37.1312,
    "AUD": 1.6558,
    "BRL": 6.2414,
    "CAD": 1.5101,
    "CNY": 7.7601,
    "HKD": 8.4149,
    "IDR": 17170.14,
    "ILS": 3.9988,
    "INR": 91.3025,
    "KRW": 1510.48,
    "MXN": 21.9315,
    "MYR": 4.6801,
    "NZD": 1.8523,
    "PHP": 62.931,
    "SGD": 1.4417,
    "THB": 36.765,
    "ZAR": 19.6075,
}

CA_TYPES = ("DIVIDEND", "DIVIDEND", "DIVIDEND", "SPLIT", "BONUS", "RIGHTS")


def bhavcopy_csv(day: date) -> str:
    """NSE-style bhavcopy: one row per symbol and series, trailing comma, TIMESTAMP like 20-NOV-2026."""
    out = io.StringIO()
    out.write(",".join(BHAV_HEADER) + ",\n")
    stamp = day.strftime("%d-%b-%Y").upper()
    for inst in equities():
        rng = rng_for("bhav", inst.symbol, day)
        close = price_on(inst, day)
        prev = price_on(inst, day - timedelta(days=1))
        low, high = round(min(close, prev) * (1 - rng.random() * 0.02), 2), round(max(close, prev) * 1.01, 2)
        open_ = round(rng.uniform(low, high), 2)
        qty = rng.randint(1_000, 5_000_000)
        for series in ("EQ", "BE") if rng.random() < 0.05 else ("EQ",):
            row = [
                inst.symbol,
                series,
                open_,
                high,
                low,
                close,
                round(close + rng.choice((-0.05, 0, 0.05)), 2),
                prev,
                qty,
                round(qty * close, 2),
                stamp,
                rng.randint(10, 90_000),
                inst.isin,
            ]
            out.write(",".join(str(v) for v in row) + ",\n")
    return out.getvalue()


def ecb_publication_date(day: date) -> date:
    """The ECB publishes on weekdays; asking for a weekend gives the previous Friday's file."""
    while not is_weekday(day):
        day -= timedelta(days=1)
    return day


def ecb_daily_xml(day: date) -> str:
    day = ecb_publication_date(day)
    rng = rng_for("ecb", day)
    rates = {
        ccy: round(rate * (1 + rng.gauss(0, 0.004)), 4 if rate < 100 else 2) for ccy, rate in ECB_BASE.items()
    }
    cubes = "\n".join(f"\t\t\t<Cube currency='{ccy}' rate='{rate}'/>" for ccy, rate in rates.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
        "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\t</gesmes:Sender>\n"
        f"\t<Cube>\n\t\t<Cube time='{day.isoformat()}'>\n{cubes}\n\t\t</Cube>\n\t</Cube>\n"
        "</gesmes:Envelope>\n"
    )


def corporate_actions(day: date) -> list[dict[str, Any]]:
    """Corporate-action events with ex-date `day` (a few dozen on weekdays, none at weekends)."""
    if not is_weekday(day):
        return []
    rng = rng_for("ca", day)
    universe = equities()
    events = []
    for n, inst in enumerate(rng.sample(universe, 20 + day.weekday() * 4), start=1):
        kind = rng.choice(CA_TYPES)
        event: dict[str, Any] = {
            "id": f"CA-{day:%Y%m%d}-{n:04d}",
            "type": kind,
            "symbol": inst.symbol,
            "isin": inst.isin,
            "ex_date": day.isoformat(),
            "record_date": (day + timedelta(days=1)).isoformat(),
            "pay_date": (day + timedelta(days=rng.randint(7, 30))).isoformat()
            if kind == "DIVIDEND"
            else None,
            "amount": f"{rng.choice((0.5, 1, 2.5, 4, 7.5, 12)):.2f}" if kind == "DIVIDEND" else None,
            "currency": "INR" if kind in ("DIVIDEND", "RIGHTS") else None,
            "ratio": rng.choice(("1:1", "2:1", "1:2", "1:5", "3:10")) if kind != "DIVIDEND" else None,
            "description": f"{inst.name}: {kind.lower()}",
        }
        events.append(event)
    return events


def internal_trades(account: str, day: date) -> list[dict[str, Any]]:
    """The firm's own booked trades for an account on a day (what the OMS database holds)."""
    if not is_weekday(day):
        return []
    rng = rng_for("trades", account, day)
    trades = []
    for n, inst in enumerate(rng.sample(equities(), 40), start=1):
        price = price_on(inst, day)
        trades.append(
            {
                "trade_id": f"T{day:%Y%m%d}-{account}-{n:04d}",
                "account": account,
                "trade_date": day.isoformat(),
                "symbol": inst.symbol,
                "isin": inst.isin,
                "side": rng.choice(("BUY", "SELL")),
                "quantity": rng.randint(1, 400) * 5,
                "price": round(price * (1 + rng.uniform(-0.004, 0.004)), 2),
            }
        )
    return trades


BROKER_HEADER = [
    "Trade Date",
    "Account",
    "Client Ref",
    "Exec ID",
    "Symbol",
    "ISIN",
    "Side",
    "Quantity",
    "Price",
    "Currency",
    "Commission",
]


def broker_trades_csv(account: str, day: date) -> str:
    """The broker's confirmation file: the same trades with exactly four deliberate breaks."""
    trades = internal_trades(account, day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BROKER_HEADER)
    for n, t in enumerate(trades, start=1):
        if n == 3:
            continue  # booked internally, missing at the broker
        qty = t["quantity"] + (10 if n == 7 else 0)
        price = round(t["price"] + (0.5 if n == 11 else 0), 2)
        writer.writerow(
            [
                day.strftime("%Y%m%d"),
                account,
                t["trade_id"],
                f"EX{day:%y%m%d}{n:05d}",
                t["symbol"],
                t["isin"],
                t["side"][0],
                qty,
                f"{price:.2f}",
                "INR",
                f"{qty * price * 0.0003:.2f}",
            ]
        )
    if trades:
        extra = trades[0]
        writer.writerow(
            [
                day.strftime("%Y%m%d"),
                account,
                f"T{day:%Y%m%d}-{account}-9999",
                f"EX{day:%y%m%d}99999",
                extra["symbol"],
                extra["isin"],
                "B",
                25,
                f"{extra['price']:.2f}",
                "INR",
                "0.50",
            ]
        )
    return out.getvalue()


HOLDINGS_HEADER = [
    "Account",
    "Symbol",
    "ISIN",
    "Description",
    "Quantity",
    "Price",
    "Market Value",
    "Currency",
    "As Of",
]


def holdings_csv(account: str, day: date) -> str:
    """A broker's end-of-day holdings export for one account."""
    rng = rng_for("holdings", account)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HOLDINGS_HEADER)
    for inst in rng.sample(equities(), 35):
        qty = rng.randint(1, 200) * 10
        price = price_on(inst, day)
        writer.writerow(
            [
                account,
                inst.symbol,
                inst.isin,
                inst.name,
                qty,
                f"{price:.2f}",
                f"{qty * price:.2f}",
                "INR",
                day.isoformat(),
            ]
        )
    return out.getvalue()


def events_page(day: date, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the corporate-actions API: {"data": [...], "next_cursor": str | None}."""
    events = corporate_actions(day)
    offset = decode_cursor(cursor, day) if cursor else 0
    page = events[offset : offset + limit]
    nxt = offset + limit
    return {"data": page, "next_cursor": encode_cursor(day, nxt) if nxt < len(events) else None}


def encode_cursor(day: date, offset: int) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps([day.isoformat(), offset]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, day: date) -> int:
    import base64

    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if raw[0] != day.isoformat():
        raise ValueError(f"cursor belongs to ex_date {raw[0]}")
    return int(raw[1])
