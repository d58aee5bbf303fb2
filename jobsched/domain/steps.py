"""Shared pieces of the timing generators: a Step of candidates with an ordering bound, and local-time fires.

A generator of Steps walks nominal fires in one direction. After each Step, `bound` promises that no LATER
step holds a candidate whose run_at is on the wrong side of it (forward: < bound; backward: > bound), so a
merge can release everything already buffered beyond it. This is what lets holiday rules move a fire before
an earlier nominal fire (`previous`) and still come out sorted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jobsched.domain.dst import WallInstants, format_offset_time, wall_instants
from jobsched.domain.model import Candidate, DstGap, DstRepeat, SkipReason, TimingSpec

ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)
# Widest UTC-offset change at a DST transition we allow for (Lord Howe 30 min, historical double summer time).
DST_MARGIN = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class Step:
    candidates: list[Candidate]
    bound: datetime


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, UTC (a gap at midnight moves it to the gap's end)."""
    return wall_instants(datetime.combine(day, time.min), zone).first


def local_fires(
    spec: TimingSpec, zone: ZoneInfo, day: date, at: time, business_date: date
) -> tuple[WallInstants, list[Candidate]]:
    """The candidates for local time `at` on `day` under the spec's DST policies (gap: shift or skip;
    repeated: first or both)."""
    wall = datetime.combine(day, at)
    instants = wall_instants(wall, zone)
    return instants, fires_at_wall(spec, zone, wall, instants, business_date)


def fires_at_wall(
    spec: TimingSpec, zone: ZoneInfo, wall: datetime, instants: WallInstants, business_date: date
) -> list[Candidate]:
    if instants.in_gap:
        note = gap_note(spec, zone, wall, instants.first)
        if spec.dst_gap is DstGap.SKIP:
            return [Candidate(instants.first, business_date, skip=SkipReason.DST_GAP, detail=note)]
        return [Candidate(instants.first, business_date, detail=note)]
    fires = [Candidate(instants.first, business_date)]
    if instants.second is not None and spec.dst_repeat is DstRepeat.BOTH:
        detail = f"{wall:%H:%M} occurs twice on {wall:%Y-%m-%d} in {spec.timezone}; second occurrence"
        fires.append(Candidate(instants.second, business_date, detail=detail))
    return fires


def gap_note(spec: TimingSpec, zone: ZoneInfo, wall: datetime, gap_end: datetime) -> str:
    head = f"{wall:%H:%M} does not exist on {wall:%Y-%m-%d} in {spec.timezone} (DST gap)"
    if spec.dst_gap is DstGap.SKIP:
        return f"{head}; skipped (dst_gap=skip)"
    return f"{head}; shifted to {format_offset_time(gap_end, zone)}"


def require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"timezone-aware datetime required, got naive {instant.isoformat()}")
