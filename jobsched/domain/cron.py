"""5-field cron over NAIVE local wall times (croniter), plus validation. PURE.

Day-of-month and day-of-week: when both are restricted, `CronDayMatch.AND` (jobsched's default) requires both
(`0 9 13 * 5` = only Friday the 13th); `OR` is classic cron (the 13th, and every Friday). A field that is `*`
does not restrict, so the choice only matters when both are set.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from croniter import CroniterBadDateError, CroniterError, croniter

from jobsched.domain.model import CronDayMatch

CRON_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")


@lru_cache(maxsize=1024)
def validate_cron(
    expr: str, day_match: CronDayMatch = CronDayMatch.AND, allow_never: bool = False
) -> str | None:
    """None when `expr` is a usable 5-field cron expression; else a message naming the problem. An
    expression that can never match (`0 0 30 2 *`) is a problem unless `allow_never`."""
    fields = expr.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}" + (
            ": aliases like @daily are not supported" if expr.strip().startswith("@") else ""
        )
    if any(field.upper().startswith(("H", "R")) and field.upper() != "THU" for field in fields):
        return "hashed (H) and random (R) values are not supported"
    try:
        croniter.expand(expr)
    except CroniterError as exc:
        return _explain(exc, fields)
    if not allow_never and (fields[4] == "*" or day_match is CronDayMatch.AND):
        try:
            croniter.expand(expr, strict=True)
        except CroniterError as exc:
            return f"never fires: {_strip_expr(str(exc))}"
    return None


def _strip_expr(message: str) -> str:
    if message.startswith("[") and "]" in message:
        message = message.split("]", 1)[1].strip()
    return (
        message.removeprefix("is not acceptable.").removeprefix("is not acceptable").strip(" ,.") or "invalid"
    )


def _explain(exc: CroniterError, fields: list[str]) -> str:
    for name, field in zip(CRON_FIELDS, fields, strict=True):
        probe = ["*"] * 5
        probe[CRON_FIELDS.index(name)] = field
        try:
            croniter.expand(" ".join(probe))
        except CroniterError:
            return f"bad {name} field {field!r}"
    return _strip_expr(str(exc))


class CronWalker:
    """Matching naive wall times after/before a position; seek() moves the position."""

    def __init__(self, expr: str, day_match: CronDayMatch) -> None:
        self._iter = croniter(
            expr, datetime(2000, 1, 1), ret_type=datetime, day_or=day_match is CronDayMatch.OR
        )

    def seek(self, wall: datetime) -> None:
        self._iter.set_current(wall, force=True)

    def next(self) -> datetime | None:
        """The first match strictly after the position (which moves there); None if there is none."""
        try:
            return self._iter.get_next()
        except CroniterBadDateError:
            return None

    def prev(self) -> datetime | None:
        try:
            return self._iter.get_prev()
        except CroniterBadDateError:
            return None
