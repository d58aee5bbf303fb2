"""Cron rows: exchange holidays, holiday rules, DST gap and repeated hour, zones, AND/OR day matching,
calendar horizon, and the bounded search functions."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, timedelta
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobsched.domain.calendars import BusinessCalendar
from jobsched.domain.model import (
    Candidate,
    CronDayMatch,
    DstGap,
    DstRepeat,
    HolidayRule,
    SkipReason,
    TimingKind,
    TimingSpec,
)
from jobsched.domain.timing import iter_candidates, last_candidates, next_candidate, validate_cron

NY = "America/New_York"
ONE_DAY = timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cron(expr: str, zone: str = NY, **kw: object) -> TimingSpec:
    return TimingSpec(kind=TimingKind.CRON, cron=expr, timezone=zone, **kw)  # type: ignore[arg-type]


def between(spec: TimingSpec, calendar: BusinessCalendar | None, first: date, last: date) -> list[Candidate]:
    """Candidates whose run_at falls on the UTC days first..last inclusive."""
    after = datetime.combine(first, datetime.min.time(), UTC)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    return list(iter_candidates(spec, calendar, after, until))


def by_date(candidates: list[Candidate]) -> dict[date, Candidate]:
    return {c.business_date: c for c in candidates}


# ---- exchange holidays (skip rule) ----


def test_thanksgiving_2026_is_a_holiday_skip_on_xnys(xnys: BusinessCalendar) -> None:
    found = by_date(between(cron("0 9 * * 1-5"), xnys, date(2026, 11, 23), date(2026, 11, 30)))
    assert sorted(found) == [date(2026, 11, d) for d in (23, 24, 25, 26, 27, 30)]
    thanksgiving = found[date(2026, 11, 26)]
    assert thanksgiving.skip is SkipReason.HOLIDAY
    assert thanksgiving.detail == "2026-11-26 is not a XNYS session (holiday)"
    assert thanksgiving.fire_at == utc(2026, 11, 26, 14, 0)  # 09:00 EST
    assert all(found[d].skip is None for d in found if d != date(2026, 11, 26))


def test_independence_day_observed_2026_07_03_is_skipped(xnys: BusinessCalendar) -> None:
    found = by_date(between(cron("0 9 * * 1-5"), xnys, date(2026, 7, 1), date(2026, 7, 7)))
    assert found[date(2026, 7, 3)].skip is SkipReason.HOLIDAY
    assert found[date(2026, 7, 2)].skip is None and found[date(2026, 7, 6)].skip is None
    assert found[date(2026, 7, 2)].fire_at == utc(2026, 7, 2, 13, 0)  # 09:00 EDT


def test_2027_12_31_is_open_on_xnys(xnys: BusinessCalendar) -> None:
    """New Year 2028 falls on a Saturday and NYSE does not observe it on the Friday."""
    found = by_date(between(cron("0 9 * * *"), xnys, date(2027, 12, 30), date(2028, 1, 3)))
    assert found[date(2027, 12, 31)].skip is None
    assert found[date(2028, 1, 1)].skip is SkipReason.HOLIDAY
    assert found[date(2028, 1, 1)].detail == "2028-01-01 is not a XNYS session (weekend)"


def test_weekend_skip_says_weekend(xnys: BusinessCalendar) -> None:
    found = by_date(between(cron("0 9 * * *"), xnys, date(2026, 11, 28), date(2026, 11, 29)))
    assert {c.skip for c in found.values()} == {SkipReason.HOLIDAY}
    assert all("(weekend)" in (c.detail or "") for c in found.values())


# ---- holiday rules ----


def test_holiday_rule_next_runs_on_the_next_session_keeping_identity(xnys: BusinessCalendar) -> None:
    spec = cron("0 9 * * 1-5", holiday_rule=HolidayRule.NEXT)
    found = between(spec, xnys, date(2026, 11, 25), date(2026, 11, 27))
    assert [(c.business_date, c.run_at) for c in found] == [
        (date(2026, 11, 25), utc(2026, 11, 25, 14)),
        (date(2026, 11, 26), utc(2026, 11, 27, 14)),
        (date(2026, 11, 27), utc(2026, 11, 27, 14)),
    ]
    moved = found[1]
    assert (
        moved.skip is None
        and moved.fire_at == utc(2026, 11, 26, 14)
        and moved.due_at == utc(2026, 11, 27, 14)
    )


def test_holiday_rule_previous_sorts_moved_fires_before_later_nominal_ones(xnys: BusinessCalendar) -> None:
    spec = cron("0 9 * * *", holiday_rule=HolidayRule.PREVIOUS)
    found = between(spec, xnys, date(2026, 11, 25), date(2026, 11, 30))
    assert [(c.business_date.day, c.run_at.day) for c in found] == [
        (25, 25),
        (26, 25),  # Thanksgiving runs Wednesday
        (27, 27),
        (28, 27),
        (29, 27),
        (30, 30),
    ]
    assert [c.business_date for c in found if c.due_at] == [date(2026, 11, d) for d in (26, 28, 29)]
    keys = [(c.run_at, c.fire_at) for c in found]
    assert keys == sorted(keys)


def test_previous_rule_interleaves_moved_fires_with_the_days_own(xnys: BusinessCalendar) -> None:
    spec = cron("0 9,17 * * *", holiday_rule=HolidayRule.PREVIOUS)
    found = list(iter_candidates(spec, xnys, utc(2026, 11, 25), utc(2026, 11, 26)))
    assert [(c.business_date.day, c.run_at.astimezone(xnys.tz).hour) for c in found] == [
        (25, 9),
        (26, 9),  # Thanksgiving's 09:00 runs Wednesday 09:00, before Wednesday's own 17:00
        (25, 17),
        (26, 17),
    ]


def test_previous_rule_window_includes_later_holiday_moved_into_it(xnys: BusinessCalendar) -> None:
    """A window ending Wednesday evening must already hold Thursday's fire moved back to Wednesday."""
    spec = cron("0 9 * * *", holiday_rule=HolidayRule.PREVIOUS)
    found = list(iter_candidates(spec, xnys, utc(2026, 11, 25, 12), utc(2026, 11, 25, 23)))
    assert [c.business_date for c in found] == [date(2026, 11, 25), date(2026, 11, 26)]


def test_next_rule_window_includes_earlier_holiday_moved_into_it(xnys: BusinessCalendar) -> None:
    spec = cron("0 9 * * *", holiday_rule=HolidayRule.NEXT)
    found = list(iter_candidates(spec, xnys, utc(2026, 11, 30, 0), utc(2026, 11, 30, 23)))
    assert [c.business_date for c in found] == [date(2026, 11, d) for d in (28, 29, 30)]
    assert {c.run_at for c in found} == {utc(2026, 11, 30, 14)}


def test_holiday_rule_ignore_does_not_consult_the_calendar(xnys: BusinessCalendar) -> None:
    spec = cron("0 9 * * *", holiday_rule=HolidayRule.IGNORE)
    found = between(spec, xnys, date(2026, 11, 26), date(2026, 11, 29))
    assert [c.business_date.day for c in found] == [26, 27, 28, 29]
    assert all(c.skip is None and c.due_at is None for c in found)


# ---- calendar horizon ----


def test_date_beyond_xbom_data_is_a_calendar_horizon_skip(xbom: BusinessCalendar) -> None:
    spec = cron("15 9 * * 1-5", zone="Asia/Kolkata")
    found = by_date(between(spec, xbom, date(2026, 12, 30), date(2027, 1, 5)))
    assert found[date(2026, 12, 31)].skip is None
    horizon = found[date(2027, 1, 4)]
    assert horizon.skip is SkipReason.CALENDAR_HORIZON
    assert horizon.fire_at == utc(2027, 1, 4, 3, 45)
    assert "2026-12-31" in (horizon.detail or "") and "XBOM" in (horizon.detail or "")


def test_next_rule_cannot_move_past_the_horizon(xnys_to_2028: BusinessCalendar) -> None:
    assert xnys_to_2028.last_day == date(2028, 12, 31)
    spec = cron("0 9 * * *", holiday_rule=HolidayRule.NEXT)
    found = by_date(between(spec, xnys_to_2028, date(2028, 12, 29), date(2028, 12, 30)))
    assert found[date(2028, 12, 29)].skip is None
    weekend = found[date(2028, 12, 30)]  # Saturday: its next session is past the data
    assert weekend.skip is SkipReason.CALENDAR_HORIZON and weekend.due_at is None
    assert "cannot move" in (weekend.detail or "")


# ---- DST ----


def test_dst_gap_shifts_to_the_first_instant_after_the_gap() -> None:
    found = by_date(between(cron("30 2 * * *"), None, date(2026, 3, 7), date(2026, 3, 9)))
    assert found[date(2026, 3, 7)].fire_at == utc(2026, 3, 7, 7, 30)  # 02:30 EST
    gap = found[date(2026, 3, 8)]
    assert gap.fire_at == utc(2026, 3, 8, 7, 0) and gap.skip is None  # 03:00 EDT
    assert "DST gap" in (gap.detail or "") and "03:00 EDT" in (gap.detail or "")
    assert found[date(2026, 3, 9)].fire_at == utc(2026, 3, 9, 6, 30)  # 02:30 EDT


def test_dst_gap_skip_option_records_why() -> None:
    found = by_date(
        between(cron("30 2 * * *", dst_gap=DstGap.SKIP), None, date(2026, 3, 7), date(2026, 3, 9))
    )
    gap = found[date(2026, 3, 8)]
    assert gap.skip is SkipReason.DST_GAP and "does not exist" in (gap.detail or "")
    assert found[date(2026, 3, 7)].skip is None and found[date(2026, 3, 9)].skip is None


def test_gap_wall_times_colliding_with_a_real_one_fire_once() -> None:
    found = list(iter_candidates(cron("*/15 2-3 * * *"), None, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8)))
    assert [c.fire_at for c in found] == [utc(2026, 3, 8, 7, m) for m in (0, 15, 30, 45)]
    assert all(c.skip is None for c in found)
    skipping = list(
        iter_candidates(
            cron("*/15 2-3 * * *", dst_gap=DstGap.SKIP), None, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8)
        )
    )
    # dst_gap=skip: every gap wall time that does not happen has its own dst_gap row (issue 15). 02:45 and
    # 03:00 both map to the gap's end (07:00 UTC); 03:00 exists and keeps it, the gap walls are recorded
    # just after it ((minute + 1)/60 s), so the ledger's (schedule, fire_at) key stays unique.
    gap_end = utc(2026, 3, 8, 7)
    assert [(c.fire_at, c.skip) for c in skipping] == [
        (gap_end, None),
        *((gap_end + timedelta(seconds=(m + 1) / 60), SkipReason.DST_GAP) for m in (0, 15, 30, 45)),
        *((utc(2026, 3, 8, 7, m), None) for m in (15, 30, 45)),
    ]
    gap_rows = [c for c in skipping if c.skip]
    assert [(c.detail or "")[:5] for c in gap_rows] == ["02:00", "02:15", "02:30", "02:45"]
    assert all("does not exist on 2026-03-08" in (c.detail or "") for c in gap_rows)


def test_dst_gap_skip_on_the_hour_leaves_a_row_for_the_0200_slot() -> None:
    """`0 * * * *` on spring-forward day: 02:00 coincides with 03:00; with skip it still says why."""
    hourly = cron("0 * * * *", dst_gap=DstGap.SKIP)
    found = list(iter_candidates(hourly, None, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8, 30)))
    assert [(c.fire_at, c.skip) for c in found] == [
        (utc(2026, 3, 8, 6), None),  # 01:00 EST
        (utc(2026, 3, 8, 7), None),  # 03:00 EDT
        (utc(2026, 3, 8, 7) + timedelta(seconds=1 / 60), SkipReason.DST_GAP),  # 02:00: does not exist
        (utc(2026, 3, 8, 8), None),  # 04:00 EDT
    ]
    assert "02:00 does not exist on 2026-03-08" in (found[2].detail or "")
    # backwards agrees (the sensor's catch-up walks back) and so does a window starting between the two
    assert last_candidates(hourly, None, utc(2026, 3, 8, 7, 0, 1), 2) == [found[0], found[1]]
    tail = list(iter_candidates(hourly, None, utc(2026, 3, 8, 7), utc(2026, 3, 8, 8, 30)))
    assert tail == found[2:]
    # shift (default) merges 02:00 into the 03:00 run: one run at 07:00 UTC, nothing lost
    shifted = list(iter_candidates(cron("0 * * * *"), None, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8, 30)))
    assert [(c.fire_at, c.skip) for c in shifted] == [(utc(2026, 3, 8, h), None) for h in (6, 7, 8)]


def test_repeated_hour_fires_once_at_first_occurrence_by_default() -> None:
    found = list(iter_candidates(cron("30 1 * * *"), None, utc(2026, 10, 31, 12), utc(2026, 11, 2, 12)))
    assert [c.fire_at for c in found] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_repeated_hour_both_fires_twice_one_hour_apart() -> None:
    spec = cron("30 1 * * *", dst_repeat=DstRepeat.BOTH)
    found = [c for c in between(spec, None, date(2026, 11, 1), date(2026, 11, 1))]
    assert [c.fire_at for c in found] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)]
    assert {c.business_date for c in found} == {date(2026, 11, 1)}
    assert found[1].fire_at - found[0].fire_at == timedelta(hours=1)


def test_repeated_hour_both_window_starting_inside_the_hour_keeps_the_second_occurrence() -> None:
    spec = cron("30 1 * * *", dst_repeat=DstRepeat.BOTH)
    found = list(iter_candidates(spec, None, utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 12)))
    assert [c.fire_at for c in found] == [utc(2026, 11, 1, 6, 30)]


# ---- other zones ----


def test_europe_london_row_follows_bst_and_uk_holidays(xlon: BusinessCalendar) -> None:
    spec = cron("0 8 * * 1-5", zone="Europe/London")
    found = by_date(between(spec, xlon, date(2026, 3, 26), date(2026, 4, 7)))
    assert found[date(2026, 3, 27)].fire_at == utc(2026, 3, 27, 8)  # GMT
    assert found[date(2026, 3, 30)].fire_at == utc(2026, 3, 30, 7)  # BST since 2026-03-29
    assert found[date(2026, 4, 3)].skip is SkipReason.HOLIDAY  # Good Friday
    assert found[date(2026, 4, 6)].skip is SkipReason.HOLIDAY  # Easter Monday
    assert found[date(2026, 4, 7)].skip is None


def test_asia_kolkata_row_on_xbom(xbom: BusinessCalendar) -> None:
    spec = cron("15 9 * * 1-5", zone="Asia/Kolkata")
    found = by_date(between(spec, xbom, date(2026, 1, 22), date(2026, 1, 28)))
    assert found[date(2026, 1, 23)].fire_at == utc(2026, 1, 23, 3, 45)  # IST is UTC+05:30, no DST
    assert found[date(2026, 1, 26)].skip is SkipReason.HOLIDAY  # Republic Day
    assert found[date(2026, 1, 27)].skip is None


def test_calendar_is_asked_about_the_rows_local_date(xnys: BusinessCalendar) -> None:
    """23:30 New York on Wednesday 2026-11-25 is Thursday in UTC; the New York date decides."""
    found = between(cron("30 23 * * *"), xnys, date(2026, 11, 26), date(2026, 11, 27))
    assert [(c.business_date, c.skip) for c in found] == [
        (date(2026, 11, 25), None),
        (date(2026, 11, 26), SkipReason.HOLIDAY),
    ]


# ---- day-of-month AND day-of-week ----


def test_friday_the_13th_and_is_the_default() -> None:
    found = list(iter_candidates(cron("0 9 13 * 5", zone="UTC"), None, utc(2026, 1, 1), utc(2027, 1, 1)))
    assert [c.business_date for c in found] == [date(2026, 2, 13), date(2026, 3, 13), date(2026, 11, 13)]


def test_friday_the_13th_or_is_classic_cron() -> None:
    spec = cron("0 9 13 * 5", zone="UTC", cron_day_match=CronDayMatch.OR)
    found = [c.business_date for c in iter_candidates(spec, None, utc(2026, 1, 1), utc(2026, 2, 1))]
    assert found == [date(2026, 1, d) for d in (2, 9, 13, 16, 23, 30)]


def fires_between(expr: str, match: CronDayMatch, first: int, last: int) -> list[date]:
    spec = cron(expr, zone="UTC", cron_day_match=match)
    window = (utc(first, 1, 1) - timedelta(minutes=1), utc(last + 1, 1, 1) - timedelta(minutes=1))
    return [c.business_date for c in iter_candidates(spec, None, *window)]


def test_or_with_a_star_step_day_field_is_vixie_and() -> None:
    """Issue 15: Vixie treats a day field starting with '*' (here '*/2') as unrestricted, so the fields AND:
    odd days that are Mondays, 133 of them in 2026-2030 (not 1,059 odd days or Mondays)."""
    found = fires_between("0 0 */2 * 1", CronDayMatch.OR, 2026, 2030)
    assert len(found) == 133
    assert all(d.day % 2 == 1 and d.weekday() == 0 for d in found)
    assert found == fires_between("0 0 */2 * 1", CronDayMatch.AND, 2026, 2030)


@pytest.mark.parametrize(
    ("expr", "rule"),
    [
        ("0 0 13 * 5", lambda d: d.day == 13 or d.weekday() == 4),  # both restricted: OR
        ("0 0 1-7 * 1", lambda d: d.day <= 7 or d.weekday() == 0),
        (
            "0 0 L * 5#3",
            lambda d: (d + timedelta(days=1)).day == 1 or (d.weekday() == 4 and 15 <= d.day <= 21),
        ),
        ("0 0 * * 1", lambda d: d.weekday() == 0),  # day-of-month '*': AND (= day-of-week alone)
        ("0 0 13 * *", lambda d: d.day == 13),  # day-of-week '*': AND
        ("0 0 1-7 * */3", lambda d: d.day <= 7 and d.weekday() in (6, 2, 5)),  # '*/3' = Sun, Wed, Sat: AND
    ],
)
def test_or_mode_per_case(expr: str, rule: object) -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(730)]
    assert fires_between(expr, CronDayMatch.OR, 2026, 2027) == [d for d in days if rule(d)]  # type: ignore[operator]


def test_february_31_or_friday_fires_on_fridays_in_february() -> None:
    found = fires_between("0 0 31 2 5", CronDayMatch.OR, 2026, 2026)
    assert found == [date(2026, 2, d) for d in (6, 13, 20, 27)]
    assert validate_cron("0 0 31 2 5", CronDayMatch.OR) is None
    assert "never fires" in (validate_cron("0 0 31 2 5") or "")  # AND: the 31st of February


def test_row_validation_honours_cron_day_match() -> None:
    from jobsched.domain.validation import RowInvalid, schedule_from_row

    row = {"id": 1, "name": "feb", "job_key": "j", "cron": "0 0 31 2 5", "cron_day_match": "or"}
    assert schedule_from_row(row).timing.cron_day_match is CronDayMatch.OR
    with pytest.raises(RowInvalid) as refused:
        schedule_from_row({**row, "cron_day_match": "and"})
    assert refused.value.field == "cron" and refused.value.value == "0 0 31 2 5"
    assert "never fires" in refused.value.message
    with pytest.raises(RowInvalid) as wrapping:
        schedule_from_row({**row, "cron": "0 0 * * 7-1"})
    assert wrapping.value.field == "cron" and "bad day-of-week field '7-1'" in wrapping.value.message


# ---- search functions ----


def test_next_candidate_skips_holidays_and_weekends(xnys: BusinessCalendar) -> None:
    found = next_candidate(cron("0 9 * * *"), xnys, utc(2026, 11, 25, 15))
    assert found is not None and found.fire_at == utc(2026, 11, 27, 14) and found.skip is None


def test_next_candidate_of_a_cron_that_never_fires_is_none() -> None:
    assert next_candidate(cron("0 0 30 2 *"), None, utc(2026, 11, 23)) is None


def test_next_candidate_beyond_the_horizon_is_none(xbom: BusinessCalendar) -> None:
    assert next_candidate(cron("* * * * *", zone="Asia/Kolkata"), xbom, utc(2026, 12, 31, 20)) is None


def test_last_candidates_are_ascending_latest_runs(xnys: BusinessCalendar) -> None:
    found = last_candidates(cron("0 9 * * *"), xnys, utc(2026, 11, 30, 12), 3)
    assert [c.business_date for c in found] == [date(2026, 11, d) for d in (24, 25, 27)]
    assert all(c.skip is None for c in found)


def test_last_candidates_include_fires_moved_back_from_after_until(xnys: BusinessCalendar) -> None:
    spec = cron("0 9 * * *", holiday_rule=HolidayRule.PREVIOUS)
    found = last_candidates(spec, xnys, utc(2026, 11, 27, 15), 3)
    assert [(c.business_date.day, c.run_at.day) for c in found] == [(27, 27), (28, 27), (29, 27)]


def test_last_candidates_until_inside_the_repeated_hour() -> None:
    """01:15 EST (second pass) is after 01:30 EDT (first pass): that fire is the latest one."""
    found = last_candidates(cron("30 1 * * *"), None, utc(2026, 11, 1, 6, 15), 2)
    assert [c.fire_at for c in found] == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30)]
    both = last_candidates(cron("30 1 * * *", dst_repeat=DstRepeat.BOTH), None, utc(2026, 11, 1, 6, 45), 2)
    assert [c.fire_at for c in both] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)]


@pytest.mark.no_cover  # asserts elapsed time: coverage tracing (make test) would slow what it measures
def test_last_candidates_is_bounded_work_after_years_of_downtime(
    xnys_to_2028: BusinessCalendar, xbom: BusinessCalendar
) -> None:
    started = clock.perf_counter()
    minutely = last_candidates(cron("* * * * *", zone="UTC"), None, utc(2031, 6, 1, 12, 0, 30), 5)
    assert [c.fire_at for c in minutely] == [utc(2031, 6, 1, 11, 56) + timedelta(minutes=i) for i in range(5)]
    # XNYS data in this window ends 2028-12-31: the latest runs are the last sessions in the data.
    beyond = last_candidates(cron("*/5 * * * *"), xnys_to_2028, utc(2031, 1, 1), 2)
    assert [c.fire_at for c in beyond] == [utc(2028, 12, 30, 4, 50), utc(2028, 12, 30, 4, 55)]  # 23:5x EST
    assert last_candidates(cron("* * * * *", zone="Asia/Kolkata"), xbom, utc(2035, 1, 1), 1) == []
    assert clock.perf_counter() - started < 2.0


def test_iter_candidates_excludes_after_and_includes_until() -> None:
    spec = cron("0 * * * *", zone="UTC")
    found = list(iter_candidates(spec, None, utc(2026, 1, 1, 1), utc(2026, 1, 1, 3)))
    assert [c.fire_at for c in found] == [utc(2026, 1, 1, 2), utc(2026, 1, 1, 3)]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        list(iter_candidates(cron("0 * * * *"), None, datetime(2026, 1, 1), utc(2026, 1, 2)))


@pytest.mark.no_cover  # asserts elapsed time: coverage tracing (make test) would slow what it measures
def test_preview_of_100_fires_on_xnys_is_fast(xnys: BusinessCalendar) -> None:
    spec = cron("30 9 * * *")
    after = utc(2026, 11, 23, 12)
    timings = []
    for _ in range(5):
        started = clock.perf_counter()
        fires = list(
            islice(
                (c for c in iter_candidates(spec, xnys, after, after + timedelta(days=1830)) if not c.skip),
                100,
            )
        )
        timings.append(clock.perf_counter() - started)
    assert len(fires) == 100
    assert min(timings) < 0.020


# ---- validation ----


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("0 9 * * 1-5", None),
        ("*/15 9-17 * * MON-FRI", None),
        ("0 9 L * *", None),
        ("0 9 * * 5#3", None),
        ("0 9 * * * *", "expected 5 fields"),
        ("@daily", "aliases"),
        ("60 * * * *", "bad minute field '60'"),
        ("0 24 * * *", "bad hour field '24'"),
        ("0 9 * * 8", "bad day-of-week field '8'"),
        ("0 9 * 13 *", "bad month field '13'"),
        ("H 9 * * *", "hashed"),
        ("0 0 30 2 *", "never fires"),
        # issue 15: the dialect's edges
        ("0 0 * * 7-1", "bad day-of-week field '7-1': range 7-1 runs backwards"),
        ("0 22-2 * * *", "bad hour field '22-2'"),
        ("0 0 * NOV-FEB *", "bad month field 'NOV-FEB'"),
        ("0 0 * * 5-7", None),  # 7 is Sunday
        ("0 0 ? * *", "'?' is not cron"),
        ("0 0 * * ?", "'?' is not cron"),
        ("0 0 15W * *", "'W' (nearest weekday) is not supported"),
        ("0 0 LW * *", "'W'"),
        ("0 0 * * 5L", None),
        ("0 0 * * L", "'L' is only"),
        ("0 0 L-2 * *", "'L' is only"),
        ("0 0 * * 5#6", "must be 1-5"),
        ("0 0 * jan,Jul mon", None),
        ("*/0 * * * *", "step '0'"),
        ("5/15 * * * *", None),
        ("R 9 * * *", "random"),
        ("0 0 1,,2 * *", "empty list item"),
        ("0 0 0 * * *", "a seconds or year field is not supported"),
        ("@hourly", "write '0 * * * *'"),
        ("@reboot", "aliases"),
    ],
)
def test_validate_cron(expr: str, problem: str | None) -> None:
    message = validate_cron(expr)
    either = validate_cron(expr, CronDayMatch.OR)  # none of these depend on cron_day_match
    assert (message is None) == (either is None) and (problem is None or problem in (either or ""))
    if problem is None:
        assert message is None
    else:
        assert message is not None and problem in message


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.text(alphabet="0123456789*/-,#LW?HRJANMOFEBSUTW²٣ ", max_size=8), min_size=1, max_size=6))
def test_validate_cron_answers_any_text_with_a_message_or_none(fields: list[str]) -> None:
    for match in CronDayMatch:
        problem = validate_cron(" ".join(fields), match)
        assert problem is None or isinstance(problem, str)


@pytest.fixture(scope="module")
def xnys_to_2028() -> BusinessCalendar:
    """XNYS data cut at 2028-12-31, for what happens at the end of a calendar's data."""
    from jobsched.domain.calendar_kinds import ExchangeCalendar

    return ExchangeCalendar("XNYS", date(2024, 1, 1), date(2028, 12, 31))
