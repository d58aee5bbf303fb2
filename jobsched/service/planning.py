"""The one path previews, the calendar view and backfills plan through: the engine's planner over the
calendar as the engine resolves it today, with caps on what one request may cost (items and CPU time)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, cast

from jobsched import settings
from jobsched.domain.calendars import BusinessCalendar
from jobsched.domain.model import Candidate, Schedule
from jobsched.domain.planner import upcoming
from jobsched.engine import Snapshot, calendar_for
from jobsched.service.errors import ServiceError


def max_cpu_seconds() -> float:
    """CPU one request may spend planning (JOBSCHED_API_MAX_PLAN_CPU_SECONDS, default 0.5)."""
    return settings.current().api_max_plan_cpu_seconds


class TooCostly(ServiceError):
    """The request would plan more than one request may: it names what to narrow."""

    status = 422
    code = "too_costly"


class Budget:
    """CPU time this thread may spend on one request's planning. CPU of this thread, not wall time nor other
    requests' CPU: a loaded machine does not make a cheap request fail, and a costly one stops in time."""

    def __init__(self, what: str, narrow: str, seconds: float | None = None) -> None:
        self.what, self.narrow = what, narrow
        self.limit = max_cpu_seconds() if seconds is None else seconds
        self.started = time.thread_time()

    def check(self) -> None:
        if time.thread_time() - self.started > self.limit:
            raise TooCostly(f"{self.what} needs more than {self.limit:g} s of CPU: {self.narrow}")


class _GuardedCalendar:
    """A calendar whose every call first checks the budget: the planner may walk a long way between two
    candidates (fires moved off a year of holidays), and this is where it walks."""

    def __init__(self, inner: BusinessCalendar, budget: Budget) -> None:
        self._inner, self._budget = inner, budget

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def guarded(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            self._budget.check()
            return value(*args, **kwargs)

        return guarded


def guarded(calendar: BusinessCalendar | None, budget: Budget) -> BusinessCalendar | None:
    return cast(BusinessCalendar, _GuardedCalendar(calendar, budget)) if calendar is not None else None


def calendar_as_engine_sees_it(
    snapshot: Snapshot, schedule: Schedule, now: datetime, after: datetime
) -> BusinessCalendar | None:
    """The calendar as the engine resolves it now; for a look at the past, as it was then. Past the
    calendar's data the planner skips with reason calendar_horizon, as the engine does."""
    return calendar_for(snapshot, schedule, min(now, after))


def plan(
    snapshot: Snapshot,
    schedule: Schedule,
    now: datetime,
    after: datetime,
    until: datetime,
    *,
    max_fires: int,
    max_skips: int,
    what: str,
    narrow: str,
) -> tuple[BusinessCalendar | None, list[Candidate]]:
    """Fires and skips in (after, until], stopping after `max_fires` fires or `max_skips` skips."""
    calendar = calendar_as_engine_sees_it(snapshot, schedule, now, after)
    budget = Budget(what, narrow)
    found: list[Candidate] = []
    fires = skips = 0
    if until <= after:
        return calendar, found
    for candidate in upcoming(schedule, guarded(calendar, budget), after, until):
        budget.check()
        found.append(candidate)
        if candidate.skip is None:
            fires += 1
        else:
            skips += 1
        if fires >= max_fires or skips >= max_skips:
            break
    return calendar, found
