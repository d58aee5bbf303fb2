"""Local wall times -> UTC instants across DST transitions. PURE.

A wall time is naive local time in a zone. It is normal (one instant), repeated (fall back: two instants,
fold=0 first) or in a gap (spring forward: no instant; the first valid instant after the gap is the transition
itself, e.g. 2026-03-08 02:30 America/New_York -> 03:00 EDT = 07:00 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MICROSECOND = timedelta(microseconds=1)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class WallInstants:
    first: datetime  # UTC: the fold=0 instant, or for a wall time in a gap the gap's end
    second: datetime | None  # UTC: the fold=1 instant of a repeated wall time, else None
    in_gap: bool

    @property
    def last(self) -> datetime:
        return self.second or self.first


def wall_instants(wall: datetime, zone: ZoneInfo) -> WallInstants:
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early == late:
        return WallInstants(early, None, False)
    if early < late:
        return WallInstants(early, late, False)
    # In a gap PEP 495 reads fold=0 with the offset from before the transition, which lands after it, and
    # fold=1 with the offset from after, which lands before it: the transition lies between the two.
    return WallInstants(_transition_between(late, early, zone), None, True)


def first_valid_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a wall time runs at when it must run once: fold=0, or the gap's end."""
    return wall_instants(wall, zone).first


@lru_cache(maxsize=4096)
def _transition_between(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    offset_before = before.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:  # offset(low) is the old one, offset(high) the new one
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def gap_wall_instant(wall: datetime, gap_end: datetime, zone: ZoneInfo) -> datetime:
    """A distinct UTC instant for a wall time in a DST gap, for when the gap's end is taken by another fire
    (a later wall time in the gap, or the real wall time at the gap's end): the wall's place in the gap
    scaled into the seconds just after the gap's end, one minute of wall time per 1/60 s (02:00 in a
    02:00-03:00 gap -> 1/60 s after the end, 02:30 -> 31/60 s). Never a whole minute, so it never collides
    with a cron fire; ordered like the wall times; on the local day the gap's end is on."""
    after, before = gap_end.astimezone(zone).utcoffset(), (gap_end - MICROSECOND).astimezone(zone).utcoffset()
    assert after is not None and before is not None
    gap = after - before
    into_gap = wall - (local_wall(gap_end, zone) - gap)
    return gap_end + (into_gap + MINUTE) / 3600


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of a UTC instant."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def offset_changes_near(instant: datetime, zone: ZoneInfo, hours: int = 3) -> bool:
    """Whether the zone's UTC offset changes within `hours` either side of `instant`."""
    span = timedelta(hours=hours)
    offsets = {(instant + delta).astimezone(zone).utcoffset() for delta in (-span, span)}
    return len(offsets | {instant.astimezone(zone).utcoffset()}) > 1


def format_offset_time(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"
