"""A TimingSpec plus an optional calendar -> Candidates: nominal fires, moved fires and skips. PURE: no I/O,
and the clock is never read; callers pass instants in.

Every candidate's `fire_at` is its nominal UTC instant (the fire's identity); `run_at` (= due_at or fire_at)
is when it runs. Results are ordered by (run_at, fire_at). Kinds:
- cron: see timing_cron (holiday rule, DST) and cron (day-of-month/day-of-week AND vs OR);
- session and business_day: see timing_calendar. Both require a calendar.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobsched.domain.calendars import BusinessCalendar
from jobsched.domain.cron import validate_cron
from jobsched.domain.model import Candidate, TimingKind, TimingSpec
from jobsched.domain.steps import Step, require_aware
from jobsched.domain.timing_calendar import BusinessDaySteps, SessionSteps
from jobsched.domain.timing_cron import CronSteps

__all__ = ["iter_candidates", "last_candidates", "next_candidate", "validate_cron", "validate_timing"]

# How far next_candidate looks ahead and last_candidates looks back before giving up.
SEARCH_SPAN = timedelta(days=5 * 366)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def iter_candidates(
    spec: TimingSpec, calendar: BusinessCalendar | None, after: datetime, until: datetime
) -> Iterator[Candidate]:
    """Every candidate, skips included, with after < run_at <= until, ascending by (run_at, fire_at).
    Lazy: stop consuming whenever you like."""
    require_aware(after, until)
    if until <= after:
        return
    steps = _steps(spec, calendar, with_skips=True).forward(after, until)
    for candidate in _merge(steps, forward=True):
        if candidate.run_at > until:
            return
        if candidate.run_at > after:
            yield candidate


def next_candidate(
    spec: TimingSpec, calendar: BusinessCalendar | None, after: datetime, within: timedelta = SEARCH_SPAN
) -> Candidate | None:
    """The first candidate that runs (no skip) with run_at > after; None if none within `within`."""
    require_aware(after)
    stop = after + within
    for candidate in _merge(_steps(spec, calendar, with_skips=False).forward(after, stop), forward=True):
        if candidate.run_at > stop:
            return None
        if candidate.run_at > after and candidate.skip is None:
            return candidate
    return None


def last_candidates(
    spec: TimingSpec,
    calendar: BusinessCalendar | None,
    until: datetime,
    n: int,
    within: timedelta = SEARCH_SPAN,
) -> list[Candidate]:
    """The latest `n` candidates that run (no skip) with run_at <= until, ascending. Walks backwards from
    `until`, so the work does not grow with how long ago anything last ran; looks back at most `within`."""
    require_aware(until)
    if n <= 0:
        return []
    floor = until - within
    latest: list[Candidate] = []
    for candidate in _merge(_steps(spec, calendar, with_skips=False).backward(until, floor), forward=False):
        if candidate.run_at < floor:
            break
        if candidate.run_at <= until and candidate.skip is None:
            latest.append(candidate)
            if len(latest) == n:
                break
    return latest[::-1]


def validate_timing(spec: TimingSpec, has_calendar: bool, allow_never: bool = False) -> str | None:
    """None when the spec can be planned; else what is wrong (the fields the kind needs). A cron that can
    never fire (`0 0 30 2 *`) is a problem unless `allow_never` (then it just yields nothing)."""
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {spec.timezone!r}"
    if spec.kind is TimingKind.CRON:
        if not spec.cron:
            return "cron: required when kind='cron'"
        return validate_cron(spec.cron, spec.cron_day_match, allow_never=allow_never)
    if not has_calendar:
        return f"calendar: a {spec.kind.value} schedule needs an exchange or custom calendar"
    if spec.kind is TimingKind.SESSION and spec.session_event is None:
        return "session_event: required when kind='session' ('open' or 'close')"
    if spec.kind is TimingKind.BUSINESS_DAY:
        if spec.business_day is None or spec.business_day == 0 or not -23 <= spec.business_day <= 23:
            return "business_day: must be 1..23 or -1..-23"
        if spec.local_time is None:
            return "local_time: required when kind='business_day'"
    return None


class _Steps(Protocol):
    def forward(self, after: datetime, stop: datetime) -> Iterator[Step]: ...

    def backward(self, until: datetime, floor: datetime) -> Iterator[Step]: ...


def _steps(spec: TimingSpec, calendar: BusinessCalendar | None, with_skips: bool) -> _Steps:
    problem = validate_timing(spec, calendar is not None, allow_never=True)
    if problem:
        raise ValueError(f"cannot plan this timing: {problem}")
    if spec.kind is TimingKind.CRON:
        return CronSteps(spec, calendar, with_skips)
    assert calendar is not None
    if spec.kind is TimingKind.SESSION:
        return SessionSteps(spec, calendar, with_skips)
    return BusinessDaySteps(spec, calendar, with_skips)


def _merge(steps: Iterable[Step], forward: bool) -> Iterator[Candidate]:
    """Candidates of all steps in (run_at, fire_at) order (descending when not forward), releasing each once
    a step's bound shows nothing later can come before it."""
    sign = 1 if forward else -1
    heap: list[tuple[int, int, int, Candidate]] = []
    tiebreak = count()
    for step in steps:
        for candidate in step.candidates:
            key = (sign * _micros(candidate.run_at), sign * _micros(candidate.fire_at), next(tiebreak))
            heapq.heappush(heap, (*key, candidate))
        release_below = sign * _micros(step.bound)
        while heap and heap[0][0] < release_below:
            yield heapq.heappop(heap)[3]
    while heap:
        yield heapq.heappop(heap)[3]


def _micros(instant: datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND
