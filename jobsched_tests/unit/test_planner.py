"""Planner decisions with an explicit `now`: misfire policies, outages, pause, edits, preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobsched.domain.calendars import resolve_calendar
from jobsched.domain.model import MisfirePolicy, Schedule, SkipReason, TimingKind, TimingSpec
from jobsched.domain.planner import MAX_RECORDED_PER_TICK, effective_watermark, plan_tick, preview

NOW = datetime(2026, 11, 23, 15, 0, 30, tzinfo=UTC)  # a Monday
XNYS = resolve_calendar("XNYS", {}, NOW)


def daily(policy: MisfirePolicy = MisfirePolicy.FIRE_ONCE, **kw: object) -> Schedule:
    timing = TimingSpec(kind=TimingKind.CRON, cron="0 10 * * *", timezone="America/New_York")
    return Schedule(id=1, name="d", job_key="j", timing=timing, misfire_policy=policy, **kw)  # type: ignore[arg-type]


def every_minute(policy: MisfirePolicy, **kw: object) -> Schedule:
    timing = TimingSpec(kind=TimingKind.CRON, cron="* * * * *", timezone="UTC")
    return Schedule(id=2, name="m", job_key="j", timing=timing, misfire_policy=policy, **kw)  # type: ignore[arg-type]


def test_on_time_fire_is_requested_once_and_watermark_moves_to_now() -> None:
    schedule = daily()
    now = datetime(2026, 11, 23, 15, 0, 5, tzinfo=UTC)  # 10:00:05 New York
    plan = plan_tick(schedule, None, now - timedelta(seconds=10), now)
    assert [c.fire_at for c in plan.fires] == [datetime(2026, 11, 23, 15, 0, tzinfo=UTC)]
    assert plan.skips == [] and plan.watermark == now
    assert plan_tick(schedule, None, plan.watermark, now + timedelta(seconds=5)).fires == []


def test_three_day_outage_fire_once_runs_only_the_latest_missed_fire() -> None:
    schedule = daily()
    watermark = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # Friday, after its 10:00 fire
    plan = plan_tick(schedule, None, watermark, NOW - timedelta(minutes=30))  # Monday 09:30 NY
    assert [c.business_date.isoformat() for c in plan.fires] == ["2026-11-22"]
    assert [(c.business_date.isoformat(), c.skip) for c in plan.skips] == [("2026-11-21", SkipReason.MISFIRE)]


def test_three_day_outage_fire_once_is_superseded_by_an_on_time_fire() -> None:
    schedule = daily()
    plan = plan_tick(schedule, None, datetime(2026, 11, 20, 16, 0, tzinfo=UTC), NOW)
    assert [c.business_date.isoformat() for c in plan.fires] == ["2026-11-23"]
    assert {c.skip for c in plan.skips} == {SkipReason.MISFIRE}
    assert [c.business_date.isoformat() for c in plan.skips] == ["2026-11-21", "2026-11-22"]


def test_three_day_outage_fire_all_runs_each_missed_fire_oldest_first() -> None:
    schedule = daily(MisfirePolicy.FIRE_ALL)
    plan = plan_tick(schedule, None, datetime(2026, 11, 20, 16, 0, tzinfo=UTC), NOW)
    assert [c.business_date.isoformat() for c in plan.fires] == ["2026-11-21", "2026-11-22", "2026-11-23"]
    assert plan.skips == []


def test_fire_all_is_bounded_by_max_catchup() -> None:
    schedule = daily(MisfirePolicy.FIRE_ALL, max_catchup=2)
    plan = plan_tick(schedule, None, datetime(2026, 11, 16, 16, 0, tzinfo=UTC), NOW - timedelta(hours=1))
    assert [c.business_date.isoformat() for c in plan.fires] == ["2026-11-21", "2026-11-22"]
    assert [c.business_date.isoformat() for c in plan.skips] == [
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ]


def test_three_day_outage_skip_policy_runs_nothing_late() -> None:
    schedule = daily(MisfirePolicy.SKIP)
    plan = plan_tick(schedule, None, datetime(2026, 11, 20, 16, 0, tzinfo=UTC), NOW)
    assert [c.business_date.isoformat() for c in plan.fires] == ["2026-11-23"]
    assert all(c.skip is SkipReason.MISFIRE for c in plan.skips) and len(plan.skips) == 2
    assert "late by" in (plan.skips[0].detail or "")


def test_holiday_is_a_skip_not_a_misfire() -> None:
    timing = TimingSpec(kind=TimingKind.CRON, cron="0 10 * * 1-5", timezone="America/New_York")
    schedule = Schedule(id=3, name="h", job_key="j", timing=timing, calendar="XNYS")
    now = datetime(2026, 11, 26, 15, 0, 10, tzinfo=UTC)  # Thanksgiving 10:00:10 New York
    plan = plan_tick(schedule, XNYS, now - timedelta(seconds=20), now)
    assert plan.fires == []
    assert [c.skip for c in plan.skips] == [SkipReason.HOLIDAY]


def test_long_outage_costs_bounded_work_and_records_one_summary() -> None:
    schedule = every_minute(MisfirePolicy.FIRE_ALL, max_catchup=5)
    watermark = NOW - timedelta(days=400)
    plan = plan_tick(schedule, None, watermark, NOW)
    # the 5 most recent late fires, oldest first, then the on-time 15:00 fire
    assert [c.fire_at.strftime("%H:%M") for c in plan.fires] == [
        "14:55",
        "14:56",
        "14:57",
        "14:58",
        "14:59",
        "15:00",
    ]
    assert len(plan.skips) == 1 and plan.skips[0].skip is SkipReason.MISFIRE
    assert str(MAX_RECORDED_PER_TICK) in (plan.skips[0].detail or "")


def test_long_outage_fire_once_runs_exactly_one() -> None:
    plan = plan_tick(every_minute(MisfirePolicy.FIRE_ONCE), None, NOW - timedelta(days=3), NOW)
    assert [c.fire_at for c in plan.fires] == [datetime(2026, 11, 23, 15, 0, tzinfo=UTC)]


def test_paused_schedule_records_paused_skips_with_reason() -> None:
    schedule = daily(paused=True, pause_reason="broker migration")
    plan = plan_tick(schedule, None, NOW - timedelta(minutes=5), NOW)
    assert plan.fires == []
    assert [(c.skip, c.detail) for c in plan.skips] == [
        (SkipReason.PAUSED, "schedule paused: broker migration")
    ]


def test_disabled_schedule_plans_nothing_and_moves_on() -> None:
    plan = plan_tick(daily(enabled=False), None, NOW - timedelta(days=3), NOW)
    assert plan.fires == [] and plan.skips == [] and plan.watermark == NOW


def test_edit_never_replays_fires_before_the_edit() -> None:
    edited_at = NOW - timedelta(minutes=10)
    schedule = daily(version=3, updated_at=edited_at)
    old_watermark = NOW - timedelta(days=3)
    assert effective_watermark(schedule, old_watermark, seen_version=2, now=NOW) == edited_at
    assert effective_watermark(schedule, old_watermark, seen_version=3, now=NOW) == old_watermark
    catchup = daily(version=3, updated_at=edited_at, catchup_on_edit=True)
    assert effective_watermark(catchup, old_watermark, seen_version=2, now=NOW) == old_watermark


def test_new_row_starts_at_its_creation_unless_it_asks_for_catchup_from_start_at() -> None:
    created = NOW - timedelta(minutes=1)
    start = NOW - timedelta(days=2)
    assert effective_watermark(daily(updated_at=created), None, None, NOW) == created
    catchup = daily(updated_at=created, start_at=start, catchup_on_edit=True)
    assert effective_watermark(catchup, None, None, NOW) < start


def test_start_and_end_bound_the_fires() -> None:
    schedule = daily(MisfirePolicy.FIRE_ALL, end_at=datetime(2026, 11, 22, 0, 0, tzinfo=UTC))
    plan = plan_tick(schedule, None, datetime(2026, 11, 20, 16, 0, tzinfo=UTC), NOW)
    assert [c.business_date.isoformat() for c in plan.fires] == ["2026-11-21"]


def test_preview_lists_fires_and_skips_in_order() -> None:
    timing = TimingSpec(kind=TimingKind.CRON, cron="0 10 * * 1-5", timezone="America/New_York")
    schedule = Schedule(id=3, name="h", job_key="j", timing=timing, calendar="XNYS")
    items = preview(schedule, XNYS, NOW, 5)
    assert [c.business_date.isoformat() for c in items if c.skip is None] == [
        "2026-11-24",
        "2026-11-25",
        "2026-11-27",
        "2026-11-30",
        "2026-12-01",
    ]
    assert [(c.business_date.isoformat(), c.skip) for c in items if c.skip] == [
        ("2026-11-26", SkipReason.HOLIDAY)
    ]
