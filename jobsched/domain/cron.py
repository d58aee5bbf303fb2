"""5-field cron over NAIVE local wall times: the dialect, its validation and a walker. PURE, no croniter.

The dialect is classic (Vixie) cron plus `L` and `#` (README "Cron" states it for users):
- fields: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or SUN-SAT
  (0 and 7 are Sunday); names are case-insensitive and may appear wherever a number may.
- items, comma-separated: `*`, `N`, `N-M` (N <= M: a range never wraps), `*/S`, `N-M/S`, `N/S` (= N-max/S).
- day-of-month `L` = the month's last day; day-of-week `D#k` = the k-th (1-5) weekday D of the month,
  `DL` = the month's last weekday D.
- refused: `?`, `W`, `H`, `R`, wrapping ranges (`7-1`, `22-2`), step 0, @-macros, a 6th (seconds/year) field.

Day-of-month with day-of-week: `CronDayMatch.AND` (jobsched's default) requires both (`0 9 13 * 5` = Friday
the 13th). `CronDayMatch.OR` follows Vixie cron exactly: the day matches when either field matches, EXCEPT
when either field starts with `*` (`*`, `*/2`): then that field is unrestricted in Vixie's sense and the two
fields AND (`0 0 */2 * 1` in OR mode = odd days that are Mondays, as Vixie does).
"""

from __future__ import annotations

import calendar as gregorian
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from jobsched.domain.model import CronDayMatch

# What users read in the API's field descriptions (OpenAPI) and the CLI's help; the README's "Cron" section
# says the same at length.
CRON_HELP = (
    "5-field cron (minute hour day-of-month month day-of-week) in the schedule's time zone, e.g. "
    "'30 16 * * 1-5'. Lists, ranges (never wrapping: '7-1' is refused), steps, names (JAN, MON), "
    "day-of-month 'L' (last day), day-of-week 'D#k' (k-th weekday D) and 'DL' (last weekday D). Refused: "
    "'?', 'W', 'H', '@daily'-style macros, a seconds field."
)
DAY_MATCH_HELP = (
    "How day-of-month and day-of-week combine when both are set. 'and' (default): both must match, "
    "'0 9 13 * 5' = Friday the 13th only. 'or': classic Vixie cron, either matches (the 13th, and every "
    "Friday), except that a day field starting with '*' (such as '*/2') makes the two AND, as in Vixie cron."
)
CRON_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {name: n for n, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)},
    {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6},
)
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# A row that fires at all fires again within this many years (Gregorian weekdays repeat every 400 years).
_SEARCH_YEARS = 401


class CronSyntaxError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CronExpr:
    """A parsed expression: the allowed values of each field, and the day-of-month/day-of-week specials."""

    minutes_of_day: tuple[int, ...]  # sorted: hour * 60 + minute for every allowed (hour, minute)
    months: frozenset[int]
    days: frozenset[int]
    last_day: bool  # day-of-month `L`
    weekdays: frozenset[int]  # 0 = Sunday .. 6 = Saturday
    nth_weekdays: frozenset[tuple[int, int]]  # `D#k`: (weekday, k)
    last_weekdays: frozenset[int]  # `DL`
    days_or: bool  # the two day fields OR (cron_day_match=or and neither field starts with '*')

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        return self._day_ok(day.day, (day.weekday() + 1) % 7, gregorian.monthrange(day.year, day.month)[1])

    def _day_ok(self, dom: int, weekday: int, month_length: int) -> bool:
        dom_ok = dom in self.days or (self.last_day and dom == month_length)
        dow_ok = (
            weekday in self.weekdays
            or (weekday, (dom - 1) // 7 + 1) in self.nth_weekdays
            or (weekday in self.last_weekdays and dom + 7 > month_length)
        )
        return (dom_ok or dow_ok) if self.days_or else (dom_ok and dow_ok)

    def can_fire(self) -> bool:
        """Whether any date matches: every (month, month length, weekday of the 1st) occurs in some year."""
        for month in self.months:
            lengths = (28, 29) if month == 2 else (gregorian.monthrange(2001, month)[1],)
            for length in lengths:
                for first_weekday in range(7):
                    if any(
                        self._day_ok(d, (first_weekday + d - 1) % 7, length) for d in range(1, length + 1)
                    ):
                        return True
        return False


@lru_cache(maxsize=1024)
def parse_cron(expr: str, day_match: CronDayMatch = CronDayMatch.AND) -> CronExpr:
    """Parse a 5-field expression; CronSyntaxError names the field and value that are not in the dialect."""
    fields = expr.split()
    if len(fields) == 1 and fields[0].startswith("@"):
        macro = fields[0].lower()
        hint = f": write '{_MACROS[macro]}'" if macro in _MACROS else ""
        raise CronSyntaxError(f"aliases like {fields[0]!r} are not supported{hint}")
    if len(fields) != 5:
        extra = " (a seconds or year field is not supported)" if len(fields) in (6, 7) else ""
        raise CronSyntaxError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}{extra}"
        )
    minutes = _field(0, fields[0])[0]
    hours = _field(1, fields[1])[0]
    days, last_day, _, _ = _field(2, fields[2])
    months = _field(3, fields[3])[0]
    weekdays, _, nth, last_weekdays = _field(4, fields[4])
    return CronExpr(
        minutes_of_day=tuple(h * 60 + m for h in sorted(hours) for m in sorted(minutes)),
        months=frozenset(months),
        days=frozenset(days),
        last_day=last_day,
        weekdays=frozenset(d % 7 for d in weekdays),
        nth_weekdays=frozenset(nth),
        last_weekdays=frozenset(d % 7 for d in last_weekdays),
        days_or=day_match is CronDayMatch.OR
        and not fields[2].startswith("*")
        and not fields[4].startswith("*"),
    )


def _field(index: int, text: str) -> tuple[set[int], bool, set[tuple[int, int]], set[int]]:
    """(values, `L` seen, `D#k` pairs, `DL` weekdays) of one field."""
    name = CRON_FIELDS[index]

    def bad(why: str) -> CronSyntaxError:
        return CronSyntaxError(f"bad {name} field {text!r}: {why}")

    values: set[int] = set()
    last, nth, last_weekdays = False, set(), set()
    for item in text.upper().split(","):
        if not item:
            raise bad("empty list item")
        if "?" in item:
            raise bad("'?' is not cron (Quartz syntax): write '*'")
        if "W" in item and index == 2:
            raise bad("'W' (nearest weekday) is not supported")
        if item.startswith(("H", "R")):
            raise bad("hashed (H) and random (R) values are not supported")
        if index == 2 and item == "L":
            last = True
            continue
        if index == 4 and "#" in item:
            weekday, _, k = item.partition("#")
            nth.add((_number(index, weekday, bad) % 7, _count(k, bad)))
            continue
        if index == 4 and item.endswith("L") and len(item) > 1:
            last_weekdays.add(_number(index, item[:-1], bad))
            continue
        if index in (2, 4) and "L" in item:
            raise bad("'L' is only 'L' (last day) in day-of-month or 'DL' (last weekday D) in day-of-week")
        values |= _item(index, item, bad)
    return values, last, nth, last_weekdays


def _item(index: int, item: str, bad: Callable[[str], CronSyntaxError]) -> set[int]:
    low, high = _BOUNDS[index]
    span, _, step_text = item.partition("/")
    step = 1
    if step_text or item.endswith("/"):
        if not _digits(step_text) or int(step_text) == 0:
            raise bad(f"step {step_text!r} must be a whole number >= 1")
        step = int(step_text)
    top = 6 if index == 4 else high  # day-of-week 7 (Sunday again) only when written
    if span == "*":
        start, end = low, top
    elif "-" in span:
        first, _, second = span.partition("-")
        start, end = _number(index, first, bad), _number(index, second, bad)
        if start > end:
            raise bad(f"range {first}-{second} runs backwards (wrapping ranges are not supported)")
    else:
        start = _number(index, span, bad)
        end = top if step_text else start
    return set(range(start, end + 1, step))


def _number(index: int, text: str, bad: Callable[[str], CronSyntaxError]) -> int:
    low, high = _BOUNDS[index]
    value = _NAMES[index].get(text)
    if value is None:
        if not _digits(text):
            raise bad(f"{text!r} is not a number" + (" or a name" if _NAMES[index] else ""))
        value = int(text)
    if not low <= value <= high:
        raise bad(f"{value} is outside {low}-{high}")
    return value


def _count(text: str, bad: Callable[[str], CronSyntaxError]) -> int:
    if not _digits(text) or not 1 <= int(text) <= 5:
        raise bad(f"'#{text}': the occurrence must be 1-5")
    return int(text)


@lru_cache(maxsize=1024)
def validate_cron(
    expr: str, day_match: CronDayMatch = CronDayMatch.AND, allow_never: bool = False
) -> str | None:
    """None when `expr` is a usable expression of the dialect; else a message naming the problem. An
    expression that can never match (`0 0 30 2 *`, or `0 0 31 2 5` with AND) is a problem unless
    `allow_never`; the check honours `day_match` (`0 0 31 2 5` with OR fires on Fridays in February)."""
    try:
        parsed = parse_cron(expr, day_match)
    except CronSyntaxError as exc:
        return str(exc)
    if not allow_never and not parsed.can_fire():
        return (
            f"never fires: no date matches day-of-month, month and day-of-week (cron_day_match={day_match})"
        )
    return None


class CronWalker:
    """Matching naive wall times after/before a position; seek() moves the position."""

    def __init__(self, expr: str, day_match: CronDayMatch) -> None:
        self._cron = parse_cron(expr, day_match)
        self._fires = self._cron.can_fire()
        self._position = datetime(2000, 1, 1)
        self._memo: tuple[date, bool] | None = None

    def seek(self, wall: datetime) -> None:
        self._position = wall

    def next(self) -> datetime | None:
        """The first match strictly after the position (which moves there); None if there is none."""
        found = self._search(forward=True)
        if found is not None:
            self._position = found
        return found

    def prev(self) -> datetime | None:
        found = self._search(forward=False)
        if found is not None:
            self._position = found
        return found

    def _search(self, forward: bool) -> datetime | None:
        if not self._fires:
            return None
        times = self._cron.minutes_of_day
        position = self._position
        minute = position.hour * 60 + position.minute
        on_minute = position.second == 0 and position.microsecond == 0
        day = position.date()
        # On the position's own day: the first time strictly after it (or strictly before it).
        if forward:
            at = bisect_right(times, minute)
        else:
            at = bisect_left(times, minute if on_minute else minute + 1) - 1
        step = timedelta(days=1 if forward else -1)
        try:
            for _ in range(_SEARCH_YEARS * 366):
                if 0 <= at < len(times) and self._day_matches(day):
                    return datetime.combine(day, time()) + timedelta(minutes=times[at])
                day = self._next_month_day(day, forward) if day.month not in self._cron.months else day + step
                at = 0 if forward else len(times) - 1
        except (OverflowError, ValueError):  # walked off year 1 or 9999
            pass
        return None

    def _day_matches(self, day: date) -> bool:
        if self._memo is None or self._memo[0] != day:
            self._memo = (day, self._cron.day_matches(day))
        return self._memo[1]

    @staticmethod
    def _next_month_day(day: date, forward: bool) -> date:
        """From a day of a month the expression excludes: the first day of the next month (or the last day
        of the previous one)."""
        if forward:
            return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return day.replace(day=1) - timedelta(days=1)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit() alone accepts '²', which int() refuses
