"""Calendar-aware deadlines of job definitions ("by when is the data of a business date due"). PURE.

Syntax of the `deadline` field of a job definition:

- `close+2h`, `close-30m`, `open+1h30m`, `close`: the session's real open or close on the business date
  (half days included) plus or minus an offset in hours (`h`) and minutes (`m`); needs a schedule with a
  calendar that has sessions (an exchange or custom calendar).
- `18:30`: that local time (24 h, `HH:MM`) on the business date, in the schedule's time zone.

A deadline exists only on the business days of the schedule's calendar (every day without a calendar), so a
holiday never has one and never raises an alarm. `now` and the calendar are always passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jobsched.domain.calendar_base import BeyondHorizon, BusinessCalendar

SYNTAX = "'close+2h', 'open+1h30m', 'close-30m' (session ± offset) or 'HH:MM' (local time)"
_SESSION = re.compile(r"^(open|close)(?:([+-])(?:(\d{1,2})h)?(?:(\d{1,4})m)?)?$")
_LOCAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_OFFSET = timedelta(hours=48)
LOOKBACK_DAYS = 14  # how far back the latest passed deadline is searched for


@dataclass(frozen=True)
class Deadline:
    text: str
    anchor: str  # 'open', 'close' or 'time'
    offset: timedelta = timedelta(0)
    at: time | None = None

    @property
    def needs_sessions(self) -> bool:
        return self.anchor != "time"


def parse_deadline(text: str) -> Deadline:
    """Raises ValueError naming the value and the accepted syntax."""
    value = text.strip() if isinstance(text, str) else text
    if not isinstance(value, str) or not value:
        raise ValueError(f"deadline={text!r}: empty; use {SYNTAX}")
    local = _LOCAL.match(value)
    if local:
        return Deadline(value, "time", at=time(int(local.group(1)), int(local.group(2))))
    session = _SESSION.match(value)
    if session is None:
        raise ValueError(f"deadline={text!r}: not a deadline; use {SYNTAX}")
    anchor, sign, hours, minutes = session.groups()
    if sign and hours is None and minutes is None:
        raise ValueError(f"deadline={text!r}: an offset needs hours and/or minutes, e.g. {anchor}{sign}2h")
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if offset > MAX_OFFSET:
        raise ValueError(f"deadline={text!r}: offset more than {MAX_OFFSET.total_seconds() / 3600:.0f}h")
    return Deadline(value, anchor, -offset if sign == "-" else offset)


def deadline_on(
    deadline: Deadline, day: date, calendar: BusinessCalendar | None, tz: ZoneInfo
) -> datetime | None:
    """The UTC instant the data of business date `day` is due; None when `day` is not a business day (or
    the calendar has no data for it). Raises ValueError for a session deadline without a calendar."""
    if calendar is not None:
        try:
            if not calendar.is_session(day):
                return None
        except BeyondHorizon:
            return None
    if deadline.anchor == "time":
        assert deadline.at is not None
        return datetime.combine(day, deadline.at, tz).astimezone(ZoneInfo("UTC"))
    if calendar is None:
        raise ValueError(f"deadline={deadline.text!r}: session deadlines need a schedule with a calendar")
    opens, closes = calendar.session_bounds(day)
    return (opens if deadline.anchor == "open" else closes) + deadline.offset


def latest_passed(
    deadline: Deadline, calendar: BusinessCalendar | None, tz: ZoneInfo, now: datetime, since: datetime | None
) -> tuple[date, datetime] | None:
    """The most recent business date whose deadline is at or before `now` (and after `since`, when given:
    nothing is due from before the job was set up), with that deadline; None if there is none."""
    today = now.astimezone(tz).date()
    for back in range(-2, LOOKBACK_DAYS):  # a session deadline may fall on a later day (close+26h)
        day = today - timedelta(days=back)
        due = deadline_on(deadline, day, calendar, tz)
        if due is None or due > now:
            continue
        if since is not None and due <= since:
            return None
        return day, due
    return None
