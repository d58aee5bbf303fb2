"""Property: the preview shows exactly what the engine's ticks would fire and skip over the same span."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from jobsched.domain.model import Candidate, Schedule, TimingSpec
from jobsched.domain.planner import plan_tick, preview
from jobsched_tests.unit.test_timing_properties import CALENDARS, FAST, NOW, CronFields, rows


def _identity(candidate: Candidate) -> tuple:
    return (candidate.fire_at, candidate.run_at, candidate.business_date, candidate.skip)


@FAST
@given(row=rows(), steps=st.lists(st.integers(1, 7 * 24 * 60), min_size=1, max_size=40))
def test_preview_equals_successive_ticks(
    row: tuple[CronFields, TimingSpec, str | None], steps: list[int]
) -> None:
    _, spec, calendar_name = row
    calendar = CALENDARS[calendar_name]
    # a long grace so that nothing is late: ticks at arbitrary instants must plan what the preview shows
    schedule = Schedule(
        id=1, name="p", job_key="j", timing=spec, calendar=calendar_name, misfire_grace=timedelta(days=400)
    )
    expected = preview(schedule, calendar, NOW, 20, max_skips=50)
    if not expected:
        return
    end = expected[-1].run_at
    seen: list[Candidate] = []
    watermark, now, tick = NOW, NOW, 0
    shortest = (end - NOW) / 200  # at most ~200 ticks per example keeps the property fast
    while watermark < end:  # ticks at irregular instants (minutes to a week apart) until the span ends
        now = min(now + max(timedelta(minutes=steps[tick % len(steps)]), shortest), end)
        plan = plan_tick(schedule, calendar, watermark, now)
        seen += plan.fires + plan.skips
        watermark, tick = plan.watermark or now, tick + 1
    # the preview stops after its 20th fire, possibly among several fires due at that same instant
    # (holiday rules move fires onto one instant), so compare what both list strictly before it
    before_end = [c for c in seen if c.run_at < end]
    assert sorted(map(_identity, before_end)) == sorted(_identity(c) for c in expected if c.run_at < end)
