"""PURE planning: (schedule, calendar, watermark, now) -> fires to request and skips to record.

Every decision about *whether* a fire runs lives here; the engine only persists what this returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice

from jobsched.domain.calendars import BusinessCalendar
from jobsched.domain.model import Candidate, MisfirePolicy, Schedule, SkipReason
from jobsched.domain.timing import iter_candidates, last_candidates, next_candidate

# Above this many candidates in one tick (long downtime) the old ones are summarised in one ledger entry,
# so downtime of any length costs bounded work. Larger than the largest max_catchup (1000).
MAX_RECORDED_PER_TICK = 2000
PREVIEW_SPAN = timedelta(days=5 * 366)
ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class TickPlan:
    fires: list[Candidate] = field(default_factory=list)
    skips: list[Candidate] = field(default_factory=list)
    watermark: datetime | None = None


def effective_watermark(
    schedule: Schedule, stored: datetime | None, seen_version: int | None, now: datetime
) -> datetime:
    """Where planning resumes. A new or edited row never replays fires from before its edit,
    unless it asks for catch-up (then a new row starts at start_at, an edited one keeps its watermark)."""
    edited_at = schedule.updated_at or now
    start_floor = schedule.start_at - ONE_MICROSECOND if schedule.start_at else None
    if stored is None:
        if schedule.catchup_on_edit and start_floor is not None:
            return start_floor
        return max(edited_at, start_floor) if start_floor else edited_at
    if seen_version != schedule.version and not schedule.catchup_on_edit:
        return max(stored, edited_at)
    return stored


def plan_tick(
    schedule: Schedule, calendar: BusinessCalendar | None, watermark: datetime, now: datetime
) -> TickPlan:
    """Fires with watermark < run_at <= now, split per the pause state and misfire policy.

    Bounded work: at most MAX_RECORDED_PER_TICK candidates are listed per part (late / on time); a longer
    late part becomes one summary entry, a longer on-time part (only with a huge grace) continues next tick.
    """
    if not schedule.enabled or now <= watermark:
        return TickPlan(watermark=max(now, watermark))
    late_until = now - schedule.misfire_grace - ONE_MICROSECOND  # late when now - run_at > grace
    late = _listed(schedule, calendar, watermark, late_until) if watermark < late_until else []
    on_time = _listed(schedule, calendar, max(watermark, late_until), now)
    new_watermark = now
    if len(on_time) > MAX_RECORDED_PER_TICK:
        on_time = on_time[:MAX_RECORDED_PER_TICK]
        new_watermark = on_time[-1].run_at
    skips = [c for c in late + on_time if c.skip]
    late_due = [c for c in late if not c.skip]
    on_time_due = [c for c in on_time if not c.skip]
    summary = None
    if len(late) > MAX_RECORDED_PER_TICK:
        summary, late_due = late[0], []
        skips = [c for c in on_time if c.skip]
    if schedule.paused:
        paused = [_skipped(c, SkipReason.PAUSED, _pause_detail(schedule)) for c in late_due + on_time_due]
        if summary:
            detail = f"{_pause_detail(schedule)}: {_span(summary, late_until)} not run"
            paused.insert(0, _skipped(summary, SkipReason.PAUSED, detail))
        return TickPlan([], _by_run_at(skips + paused), new_watermark)
    if summary:
        fires = _survivors_after_outage(schedule, calendar, watermark, late_until, summary, bool(on_time_due))
        detail = (
            f"{_span(summary, late_until)} were missed (engine down or late); "
            f"misfire_policy={schedule.misfire_policy.value}"
        )
        skips.insert(0, _skipped(summary, SkipReason.MISFIRE, detail))
        return TickPlan(fires + on_time_due, _by_run_at(skips), new_watermark)
    to_fire = _misfire_survivors(schedule, late_due, bool(on_time_due))
    skips += [_misfire_skip(schedule, c, now) for c in late_due if c not in to_fire]
    return TickPlan(to_fire + on_time_due, _by_run_at(skips), new_watermark)


def _listed(
    schedule: Schedule, calendar: BusinessCalendar | None, after: datetime, until: datetime
) -> list[Candidate]:
    candidates = _in_bounds(schedule, iter_candidates(schedule.timing, calendar, after, until))
    return list(islice(candidates, MAX_RECORDED_PER_TICK + 1))


def _misfire_survivors(schedule: Schedule, late: list[Candidate], has_on_time: bool) -> list[Candidate]:
    """fire_once: the latest missed fire, unless an on-time fire supersedes it; fire_all: the most
    recent max_catchup, oldest first; skip: none."""
    if not late or schedule.misfire_policy is MisfirePolicy.SKIP:
        return []
    if schedule.misfire_policy is MisfirePolicy.FIRE_ONCE:
        return [] if has_on_time else late[-1:]
    return late[-schedule.max_catchup :]


def _survivors_after_outage(
    schedule: Schedule,
    calendar: BusinessCalendar | None,
    watermark: datetime,
    late_until: datetime,
    summary: Candidate,
    has_on_time: bool,
) -> list[Candidate]:
    """The misfire policy's picks among too many missed fires to list, found by walking backwards."""
    keep = {MisfirePolicy.SKIP: 0, MisfirePolicy.FIRE_ONCE: 0 if has_on_time else 1}.get(
        schedule.misfire_policy, schedule.max_catchup
    )
    backwards = last_candidates(schedule.timing, calendar, late_until, keep) if keep else []
    return [
        c
        for c in _in_bounds(schedule, iter(backwards))
        if c.run_at > watermark and c.fire_at != summary.fire_at
    ]


def _span(first: Candidate, until: datetime) -> str:
    return f"more than {MAX_RECORDED_PER_TICK} fires from {first.fire_at.isoformat()} to {until.isoformat()}"


def next_run_at(schedule: Schedule, calendar: BusinessCalendar | None, after: datetime) -> datetime | None:
    """The next instant this schedule wants a run, for the sensor's sub-tick wait; None if none soon."""
    if not schedule.enabled or schedule.paused:
        return None
    candidate = next_candidate(schedule.timing, calendar, after)
    if candidate is None or (schedule.end_at and candidate.fire_at > schedule.end_at):
        return None
    return candidate.run_at


NEXT_DUE_SPAN = timedelta(days=370)


def next_due_at(schedule: Schedule, calendar: BusinessCalendar | None, after: datetime) -> datetime | None:
    """The next instant a tick has anything to do for this schedule after `after` (a fire or a skip to
    record, `paused` skips included); None if never (disabled, ended). Nothing within NEXT_DUE_SPAN: look
    again at its end."""
    if not schedule.enabled:
        return None
    for candidate in upcoming(schedule, calendar, after, after + NEXT_DUE_SPAN):
        return candidate.run_at
    if schedule.end_at and schedule.end_at <= after + NEXT_DUE_SPAN:
        return None
    return after + NEXT_DUE_SPAN


def preview(
    schedule: Schedule, calendar: BusinessCalendar | None, after: datetime, count: int, max_skips: int = 1000
) -> list[Candidate]:
    """The next `count` fires after `after`, with every skip in that span; the sensor's own planner."""
    result: list[Candidate] = []
    fires = skips = 0
    for candidate in upcoming(schedule, calendar, after, after + PREVIEW_SPAN):
        result.append(candidate)
        if candidate.skip is None:
            fires += 1
        else:
            skips += 1
        if fires >= count or skips >= max_skips:
            break
    return result


def upcoming(
    schedule: Schedule, calendar: BusinessCalendar | None, after: datetime, until: datetime
) -> Iterator[Candidate]:
    """What is to come in (after, until]: start/end bounds applied, fires of a paused or disabled row shown
    as `paused` skips."""
    for candidate in _in_bounds(schedule, iter_candidates(schedule.timing, calendar, after, until)):
        if candidate.skip is None and (schedule.paused or not schedule.enabled):
            detail = _pause_detail(schedule) if schedule.enabled else "schedule disabled"
            candidate = _skipped(candidate, SkipReason.PAUSED, detail)
        yield candidate


def _in_bounds(schedule: Schedule, candidates: Iterator[Candidate]) -> Iterator[Candidate]:
    for candidate in candidates:
        if schedule.start_at and candidate.fire_at < schedule.start_at:
            continue
        if schedule.end_at and candidate.fire_at > schedule.end_at:
            return
        yield candidate


def _skipped(candidate: Candidate, reason: SkipReason, detail: str) -> Candidate:
    return replace(candidate, skip=reason, detail=detail)


def _misfire_skip(schedule: Schedule, candidate: Candidate, now: datetime) -> Candidate:
    late_by = int((now - candidate.run_at).total_seconds())
    return _skipped(
        candidate,
        SkipReason.MISFIRE,
        f"late by {late_by}s (grace {int(schedule.misfire_grace.total_seconds())}s); "
        f"misfire_policy={schedule.misfire_policy.value}",
    )


def _pause_detail(schedule: Schedule) -> str:
    return f"schedule paused: {schedule.pause_reason}" if schedule.pause_reason else "schedule paused"


def _by_run_at(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.run_at, c.fire_at))
