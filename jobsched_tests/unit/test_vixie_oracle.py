"""jobsched's preview against a brute-force classic-cron oracle written here (pure Python: no croniter and
nothing from jobsched's cron module): a few hundred random expressions, `and` and `or` day matching, a year
in several zones.

The oracle parses each field the way Vixie cron's entry.c does (get_list/get_range: `*`, `N`, `N-M`, a
`/S` step after `*` or a range, names, day-of-week 7 = 0) and matches days the way cron.c does: with `or`,
`dom || dow` unless either field starts with `*` (DOM_STAR / DOW_STAR), then `dom && dow`; with `and`
(jobsched's default) always `dom && dow`. Every local day of the window is tried, every allowed hour and
minute of a matching day becomes a wall time, and zoneinfo turns it into an instant (a gap's wall time runs
at the gap's end, a repeated one at its first occurrence: the row defaults)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jobsched.domain.model import CronDayMatch, Schedule, TimingKind, TimingSpec
from jobsched.domain.planner import upcoming

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
# (low, high, names) per field, as in Vixie's entry.c (day-of-week runs 0-7)
LIMITS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 7, DAYS)]
EXPRESSIONS = 300


# ---- the oracle ----


def vixie_field(text: str, low: int, high: int, names: list[str] | None) -> set[int]:
    def number(token: str) -> int:
        if names and token.upper() in names:
            return names.index(token.upper()) + (1 if names is MONTHS else 0)
        return int(token)

    bits: set[int] = set()
    for item in text.split(","):
        span, _, step = item.partition("/")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            a, b = span.split("-")
            first, last = number(a), number(b)
        else:
            first = last = number(span)
        bits.update(range(first, last + 1, int(step) if step else 1))
    return bits


def oracle(
    expr: str, match: CronDayMatch, zone: ZoneInfo, start: datetime = START, end: datetime = END
) -> list[datetime]:
    """The instants in (start, end]."""
    fields = expr.split()
    minutes, hours, doms, months, dows = (vixie_field(f, *lim) for f, lim in zip(fields, LIMITS, strict=True))
    if 0 in dows or 7 in dows:
        dows |= {0, 7}
    star = fields[2].startswith("*") or fields[4].startswith("*")
    found: set[datetime] = set()
    day = start.date() - timedelta(days=2)
    while day <= end.date() + timedelta(days=2):
        dom_ok, dow_ok = day.day in doms, (day.weekday() + 1) % 7 in dows
        day_ok = (dom_ok and dow_ok) if match is CronDayMatch.AND or star else (dom_ok or dow_ok)
        if day.month in months and day_ok:
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    wall = datetime(day.year, day.month, day.day, hour, minute)
                    found.add(instant(wall, zone))
        day += timedelta(days=1)
    return sorted(at for at in found if start < at <= end)


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)  # exists (the first occurrence if repeated)
    at = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # in a gap: before the transition
    while at.astimezone(zone).replace(tzinfo=None) < wall:  # walk to the gap's end, minute by minute
        at += timedelta(minutes=1)
    return at


# ---- random expressions ----


def field_text(rng: random.Random, index: int) -> str:
    low, high, names = LIMITS[index]
    if index == 4 and rng.random() < 0.3:
        high = 6  # mostly 0-6; 7 (Sunday) sometimes

    def value(a: int = low, b: int = high) -> str:
        n = rng.randint(a, b)
        if names and rng.random() < 0.3 and n < len(names) + (1 if names is MONTHS else 0):
            return names[n - 1] if names is MONTHS else names[n]
        return str(n)

    def item() -> str:
        kind = rng.random()
        if kind < 0.4:
            return value()
        a = rng.randint(low, high)
        b = rng.randint(a, high)
        span = f"{a}-{b}"
        return span + (f"/{rng.randint(2, 5)}" if kind < 0.6 else "")

    if index in (2, 4) or index == 3:
        choice = rng.random()
        if choice < 0.35:
            return "*"
        if choice < 0.5:
            return f"*/{rng.randint(2, 4)}"
    if index == 1:  # few hours a day keep each case fast; DST hours (1-3) often
        choice = rng.random()
        if choice < 0.1:
            return f"*/{rng.randint(6, 12)}"
        if choice < 0.4:
            return f"{rng.randint(0, 3)}-{rng.randint(3, 23)}/{rng.randint(5, 9)}"
        return ",".join(str(h) for h in sorted(rng.sample(range(24), rng.randint(1, 3))))
    return ",".join(item() for _ in range(rng.randint(1, 3)))


def expression(rng: random.Random) -> str:
    minute = ",".join(str(m) for m in sorted(rng.sample(range(60), rng.randint(1, 2))))
    return " ".join([minute, *(field_text(rng, i) for i in range(1, 5))])


CASES = []
_rng = random.Random(15)
for _n in range(EXPRESSIONS):
    CASES.append((expression(_rng), _rng.choice(list(CronDayMatch)), _rng.choice(ZONES)))


def test_the_cases_cover_the_or_rule() -> None:
    ors = [e.split() for e, m, _ in CASES if m is CronDayMatch.OR]
    both_set = [f for f in ors if f[2] != "*" and f[4] != "*"]
    starred = [f for f in both_set if f[2].startswith("*/") or f[4].startswith("*/")]
    assert len(both_set) > 30 and len(starred) > 5


@pytest.mark.parametrize(("expr", "match", "zone"), CASES)
def test_preview_matches_a_vixie_oracle(expr: str, match: CronDayMatch, zone: str) -> None:
    spec = TimingSpec(kind=TimingKind.CRON, cron=expr, cron_day_match=match, timezone=zone)
    schedule = Schedule(id=1, name="oracle", job_key="j", timing=spec)
    found = [c.fire_at for c in upcoming(schedule, None, START, END)]
    assert found == oracle(expr, match, ZoneInfo(zone))


def test_the_oracle_knows_the_issue_15_row() -> None:
    """`0 0 */2 * 1` with `or`: 133 fires in 2026-2030 in Vixie cron (odd days that are Mondays), and
    jobsched's preview agrees over those five years."""
    start, end = datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2030, 12, 31, 23, 59, tzinfo=UTC)
    utc = ZoneInfo("UTC")
    expected = oracle("0 0 */2 * 1", CronDayMatch.OR, utc, start, end)
    assert len(expected) == 133
    spec = TimingSpec(kind=TimingKind.CRON, cron="0 0 */2 * 1", cron_day_match=CronDayMatch.OR)
    schedule = Schedule(id=1, name="oracle", job_key="j", timing=spec)
    assert [c.fire_at for c in upcoming(schedule, None, start, end)] == expected
    assert len(oracle("0 0 13 * 5", CronDayMatch.OR, utc, start, end)) > 300  # no star: a real OR
