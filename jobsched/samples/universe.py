"""A deterministic universe of instruments shared by every sample payload (symbols, ISINs, prices)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date
from functools import cache

SYLLABLES = (
    "AR",
    "BH",
    "CO",
    "DE",
    "EN",
    "FI",
    "GR",
    "HI",
    "IN",
    "JA",
    "KO",
    "LU",
    "MA",
    "NI",
    "OR",
    "PA",
    "RE",
    "SI",
    "TA",
    "UL",
    "VE",
    "WI",
    "XE",
    "YO",
    "ZE",
)
SUFFIXES = (
    "Industries",
    "Bank",
    "Motors",
    "Pharma",
    "Power",
    "Textiles",
    "Chemicals",
    "Finance",
    "Steel",
    "Cement",
    "Foods",
    "Infotech",
    "Realty",
    "Logistics",
    "Energy",
)


@dataclass(frozen=True)
class Instrument:
    symbol: str
    isin: str
    name: str
    base_price: float


def isin_check_digit(body: str) -> str:
    """ISO 6166 check digit (Luhn over the letters-as-numbers expansion) for the first 11 characters."""
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return str((10 - total % 10) % 10)


def make_isin(country: str, rng: random.Random) -> str:
    body = country + "".join(rng.choices(string.ascii_uppercase + string.digits, k=9))
    return body + isin_check_digit(body)


@cache
def equities(count: int = 1500) -> tuple[Instrument, ...]:
    rng = random.Random("jobsched-universe")
    seen: set[str] = set()
    out: list[Instrument] = []
    while len(out) < count:
        symbol = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if symbol in seen:
            continue
        seen.add(symbol)
        name = f"{symbol.title()} {rng.choice(SUFFIXES)} Ltd"
        out.append(Instrument(symbol, make_isin("IN", rng), name, round(rng.lognormvariate(5.5, 1.1), 2)))
    return tuple(out)


def rng_for(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


def price_on(instrument: Instrument, day: date) -> float:
    """A smooth-ish deterministic price path: base * (1 + drift) with daily noise."""
    noise = rng_for("price", instrument.symbol, day).gauss(0, 0.015)
    drift = ((day.toordinal() % 365) - 182) / 3650
    return max(1.0, round(instrument.base_price * (1 + drift + noise), 2))


def is_weekday(day: date) -> bool:
    return day.weekday() < 5
