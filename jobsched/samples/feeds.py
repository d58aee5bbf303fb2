"""Sample payloads for the desk's other feeds: custodian positions, camt.053 and MT940 statements, index
constituents, fund NAVs, the ECB 90-day history, zipped bhavcopy, broker confirms (xlsx), ratings (fixed
width). Pure functions of (date, account, ...): the same inputs give the same bytes."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from jobsched.adapters.ratings_feed import LAYOUT
from jobsched.samples.payloads import ECB_BASE, bhavcopy_csv, ecb_publication_date
from jobsched.samples.universe import equities, is_weekday, price_on, rng_for

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CUSTODIAN_HEADER = [
    "Account", "Custodian", "ISIN", "Security Name", "Quantity", "Price", "Market Value", "Currency",
    "Position Date",
]  # fmt: skip


# ---- custodian positions (CSV over SFTP) ------------------------------------------------------------
def custodian_positions_csv(account: str, day: date, custodian: str = "BNYM") -> str:
    rng = rng_for("custody", account)
    picks = rng.sample(equities(), 40)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CUSTODIAN_HEADER)
    for inst in picks:
        qty = rng.randint(1, 400) * 25
        price = price_on(inst, day)
        writer.writerow(
            [
                account,
                custodian,
                inst.isin,
                inst.name,
                qty,
                price,
                f"{qty * price:.2f}",
                "INR",
                day.isoformat(),
            ]
        )
    return out.getvalue()


# ---- bank statements: camt.053.001.02 and MT940 -----------------------------------------------------
def statement_entries(iban: str, day: date) -> tuple[Decimal, list[dict[str, Any]]]:
    """(opening balance, entries) of an account's statement for a day: amounts signed (+credit)."""
    rng = rng_for("bank", iban, day)
    opening = Decimal(rng.randint(500_000, 5_000_000)) / 100 * 100
    entries = []
    for n in range(1, rng.randint(12, 20) + 1):
        credit = rng.random() < 0.45
        amount = Decimal(rng.randint(1_000, 25_000_000)) / 100
        counterparty = rng.choice(["ACME GmbH", "Globex SA", "Initech BV", "Umbrella plc", "Hooli Inc"])
        entries.append(
            {
                "ref": f"{day:%Y%m%d}{n:05d}",
                "amount": amount if credit else -amount,
                "code": rng.choice(["TRF", "CHK", "DDT", "FEX", "INT"])
                if credit
                else rng.choice(["TRF", "CHG"]),
                "counterparty": counterparty,
                "remittance": f"INV-{rng.randint(10000, 99999)} {counterparty}",
            }
        )
    return opening, entries


def camt053_xml(iban: str, day: date, currency: str = "EUR", bic: str = "DEMOBEBBXXX") -> str:
    opening, entries = statement_entries(iban, day)
    closing = opening + sum((e["amount"] for e in entries), Decimal(0))
    created = datetime.combine(day, datetime.min.time()) + timedelta(hours=22, minutes=5)

    def balance(code: str, amount: Decimal, on: date) -> str:
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{abs(amount):.2f}</Amt>'
            f"<CdtDbtInd>{'CRDT' if amount >= 0 else 'DBIT'}</CdtDbtInd>"
            f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
        )

    ntries = []
    for e in entries:
        side = "CRDT" if e["amount"] > 0 else "DBIT"
        party = "Dbtr" if side == "CRDT" else "Cdtr"
        ntries.append(
            f'<Ntry><NtryRef>{e["ref"]}</NtryRef><Amt Ccy="{currency}">{abs(e["amount"]):.2f}</Amt>'
            f"<CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{bic[:4]}{e['ref']}</AcctSvcrRef>"
            f"<BkTxCd><Prtry><Cd>N{e['code']}</Cd><Issr>SWIFT</Issr></Prtry></BkTxCd>"
            f"<NtryDtls><TxDtls><RltdPties><{party}><Nm>{e['counterparty']}</Nm></{party}></RltdPties>"
            f"<RmtInf><Ustrd>{e['remittance']}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    body = "\n      ".join(ntries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{CAMT_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "  <BkToCstmrStmt>\n"
        f"    <GrpHdr><MsgId>STMT{day:%Y%m%d}{iban[-6:]}</MsgId>"
        f"<CreDtTm>{created.isoformat()}</CreDtTm></GrpHdr>\n"
        f"    <Stmt>\n      <Id>{iban[-6:]}-{day:%Y%m%d}</Id>"
        f"<ElctrncSeqNb>{day.toordinal() % 100000}</ElctrncSeqNb>"
        f"<CreDtTm>{created.isoformat()}</CreDtTm>\n"
        f"      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy>"
        f"<Svcr><FinInstnId><BIC>{bic}</BIC></FinInstnId></Svcr></Acct>\n"
        f"      {balance('OPBD', opening, day - timedelta(days=1))}\n"
        f"      {balance('CLBD', closing, day)}\n"
        f"      {body}\n"
        "    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n"
    )


def _mt_amount(amount: Decimal) -> str:
    return f"{abs(amount):.2f}".replace(".", ",")


def mt940(account: str, day: date, currency: str = "EUR", bic: str = "DEMOBEBBAXXX") -> str:
    opening, entries = statement_entries(account, day)
    closing = opening + sum((e["amount"] for e in entries), Decimal(0))

    def bal(tag: str, amount: Decimal, on: date) -> str:
        return f":{tag}:{'C' if amount >= 0 else 'D'}{on:%y%m%d}{currency}{_mt_amount(amount)}"

    lines = [
        f"{{1:F01{bic}0000000000}}{{2:O9401700{day:%y%m%d}{bic}00000000001{day:%y%m%d}1700N}}{{4:",
        f":20:STMT{day:%y%m%d}",
        f":25:{account}",
        f":28C:{day.toordinal() % 1000}/1",
        bal("60F", opening, day - timedelta(days=1)),
    ]
    for e in entries:
        mark = "C" if e["amount"] > 0 else "D"
        lines.append(
            f":61:{day:%y%m%d}{day:%m%d}{mark}{_mt_amount(e['amount'])}N{e['code']}{e['ref']}//B{e['ref']}"
        )
        lines.append(f":86:{e['remittance']}")
    lines += [bal("62F", closing, day), "-}"]
    return "\r\n".join(lines) + "\r\n"


# ---- index constituents (gzip CSV in object storage) -------------------------------------------------
def index_constituents_csv_gz(index: str, day: date, size: int = 50) -> bytes:
    members = sorted(rng_for("index", index).sample(equities(), size), key=lambda i: i.symbol)
    shares = {m.symbol: rng_for("free-float", index, m.symbol).randint(10, 900) * 1_000_000 for m in members}
    caps = {m.symbol: shares[m.symbol] * price_on(m, day) for m in members}
    total = sum(caps.values())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["index_code", "as_of", "symbol", "isin", "name", "free_float_shares", "price", "weight_pct"]
    )
    weights = [round(caps[m.symbol] / total * 100, 6) for m in members]
    weights[-1] = round(100 - sum(weights[:-1]), 6)
    for member, weight in zip(members, weights, strict=True):
        writer.writerow(
            [index, day.isoformat(), member.symbol, member.isin, member.name, shares[member.symbol],
             price_on(member, day), f"{weight:.6f}"]
        )  # fmt: skip
    return gzip.compress(out.getvalue().encode(), mtime=0)


# ---- fund NAVs (paginated JSON) ---------------------------------------------------------------------
def fund_navs(day: date, count: int = 57) -> list[dict[str, Any]]:
    if not is_weekday(day):
        return []
    navs = []
    for n in range(count):
        rng = rng_for("fund", n)
        base = rng.uniform(8, 250)
        nav = round(base * (1 + rng_for("nav", n, day).gauss(0, 0.01)), 4)
        units = rng.randint(1_000_000, 90_000_000)
        navs.append(
            {
                "fund_id": f"F{n:05d}",
                "share_class": rng.choice(["A", "I", "R"]),
                "isin": make_fund_isin(n),
                "name": f"{rng.choice(['Global', 'Asia', 'Euro', 'Emerging'])} "
                f"{rng.choice(['Equity', 'Bond', 'Balanced'])} Fund {n}",
                "currency": rng.choice(["USD", "EUR", "GBP"]),
                "nav_date": day.isoformat(),
                "nav": f"{nav:.4f}",
                "units_outstanding": units,
                "total_net_assets": f"{nav * units:.2f}",
            }
        )
    return navs


def fund_nav_page(day: date, page: int, page_size: int) -> dict[str, Any]:
    """One page of the NAV API: data, total, and a relative `links.next` while more remain."""
    navs = fund_navs(day)
    start = (max(page, 1) - 1) * page_size
    more = start + page_size < len(navs)
    nxt = f"/funds/v1/nav?date={day.isoformat()}&page={page + 1}&page_size={page_size}" if more else None
    return {
        "data": navs[start : start + page_size],
        "page": page,
        "page_size": page_size,
        "total": len(navs),
        "links": {"next": nxt},
    }


def make_fund_isin(n: int) -> str:
    from jobsched.samples.universe import isin_check_digit

    body = f"LU{n:09d}"
    return body + isin_check_digit(body)


# ---- ECB: the 90-day history file -------------------------------------------------------------------
def target_closed(day: date) -> bool:
    """TARGET2 closing days other than Easter: weekends, 1 Jan, 1 May, 25 and 26 Dec."""
    return not is_weekday(day) or (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}


def ecb_rates(day: date) -> dict[str, float]:
    rng = rng_for("ecb", day)
    return {
        ccy: round(rate * (1 + rng.gauss(0, 0.004)), 4 if rate < 100 else 2) for ccy, rate in ECB_BASE.items()
    }


def ecb_hist_90d_xml(day: date) -> str:
    """The ECB's eurofxref-hist-90d.xml as published on `day`: newest first, TARGET days only."""
    last = ecb_publication_date(day)
    days = [last - timedelta(days=n) for n in range(90)]
    cubes = []
    for d in days:
        if target_closed(d):
            continue
        rates = "".join(f"<Cube currency='{c}' rate='{r}'/>" for c, r in ecb_rates(d).items())
        cubes.append(f"<Cube time='{d.isoformat()}'>{rates}</Cube>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
        "<gesmes:subject>Reference rates</gesmes:subject>"
        "<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>"
        f"<Cube>{''.join(cubes)}</Cube></gesmes:Envelope>"
    )


# ---- NSE bhavcopy, zipped ---------------------------------------------------------------------------
def bhavcopy_member(day: date) -> str:
    """NSE's archive member name, e.g. cm20NOV2026bhav.csv."""
    return f"cm{day:%d}{day.strftime('%b').upper()}{day:%Y}bhav.csv"


def bhavcopy_zip(day: date) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(bhavcopy_member(day), date_time=(day.year, day.month, day.day, 18, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, bhavcopy_csv(day))
    return out.getvalue()


# ---- broker confirms (Excel) ------------------------------------------------------------------------
CONFIRM_HEADER = [
    "Trade ID", "Trade Date", "Settlement Date", "Account", "Side", "ISIN", "Security", "Quantity", "Price",
    "Gross Amount", "Commission", "Net Amount", "Currency",
]  # fmt: skip


def confirm_rows(broker: str, day: date) -> list[list[Any]]:
    rng = rng_for("confirms", broker, day)
    settle = day + timedelta(days=1)
    while not is_weekday(settle):
        settle += timedelta(days=1)
    rows = []
    for n, inst in enumerate(rng.sample(equities(), 25), start=1):
        side = rng.choice(["BUY", "SELL"])
        qty = rng.randint(1, 200) * 10
        price = round(price_on(inst, day) * (1 + rng.uniform(-0.005, 0.005)), 2)
        gross = round(qty * price, 2)
        commission = round(max(20.0, gross * 0.0003), 2)
        net = round(gross + commission if side == "BUY" else gross - commission, 2)
        rows.append(
            [f"{broker}-{day:%Y%m%d}-{n:04d}", datetime.combine(day, datetime.min.time()),
             datetime.combine(settle, datetime.min.time()), f"{broker}-ACC-01", side, inst.isin, inst.name,
             qty, price, gross, commission, net, "INR"]
        )  # fmt: skip
    return rows


def broker_confirms_xlsx(broker: str, day: date, rows: list[list[Any]] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Confirms"
    sheet.append(CONFIRM_HEADER)
    for row in confirm_rows(broker, day) if rows is None else rows:
        sheet.append(row)
    for cell in sheet["B"][1:] + sheet["C"][1:]:
        cell.number_format = "yyyy-mm-dd"
    notes = book.create_sheet("Notes")
    notes.append([f"Trade confirmations of {broker} for {day.isoformat()}; amounts in trade currency."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- ratings (fixed width) --------------------------------------------------------------------------
RATINGS = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "B", "CCC")


def ratings_fixed_width(day: date, vendor: str = "RATINGCO") -> str:
    rng = rng_for("ratings", day)
    lines = [f"H{vendor:<10}{day:%Y%m%d}{'DAILY RATINGS EXTRACT':<40}"]
    for inst in rng.sample(equities(), 30):
        values = {
            "isin": inst.isin,
            "issuer_id": f"ISS{int(inst.isin[2:11], 36) % 10_000_000:07d}",
            "issuer_name": inst.name[:40],
            "agency": rng.choice(["SP", "MOODYS", "FITCH"]),
            "rating": rng.choice(RATINGS),
            "outlook": rng.choice(["STABLE", "POSITIVE", "NEGATIVE", "DEVELOPING"]),
            "watch": rng.choice(["N", "N", "N", "Y"]),
            "action": rng.choice(["AFFIRMED", "AFFIRMED", "UPGRADE", "DOWNGRADE", "NEW"]),
            "rating_date": f"{day:%Y%m%d}",
        }
        lines.append("D" + "".join(f"{values[name]:<{width}}"[:width] for name, width in LAYOUT))
    lines.append(f"T{len(lines) - 1:09d}")
    return "\n".join(lines) + "\n"
