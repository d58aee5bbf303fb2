"""Preview cost: the next 100 fires (with skips) of calendar rows, warm and cold, against raw croniter.

Usage: .venv/bin/python bench/bench_preview.py
The baseline is croniter alone producing 100 instants in the same process (no calendar, no DST policy, no
skips), and the cold cost of building an exchange-calendars calendar, which jobsched pays once per window.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

from croniter import croniter

from jobsched.domain import calendars
from jobsched.domain.model import Schedule, SessionEvent, TimingKind, TimingSpec
from jobsched.domain.planner import preview

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REPEATS = 200

ROWS = {
    "cron 0 18 * * 1-5 XNYS": Schedule(
        1, "eod", "j", TimingSpec(TimingKind.CRON, "America/New_York", cron="0 18 * * 1-5"), calendar="XNYS"
    ),
    "session close+30m XNYS": Schedule(
        2,
        "close",
        "j",
        TimingSpec(
            TimingKind.SESSION, "America/New_York", session_event=SessionEvent.CLOSE, offset_minutes=30
        ),
        calendar="XNYS",
    ),
    "3rd business day XLON": Schedule(
        3,
        "bd3",
        "j",
        TimingSpec(TimingKind.BUSINESS_DAY, "Europe/London", business_day=3, local_time=clock(7, 0)),
        calendar="XLON",
    ),
}


def timed_ms(fn, repeats: int = REPEATS) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
    }


def main() -> None:
    results: dict[str, dict] = {}
    start = time.perf_counter()
    calendars.exchange_calendar("XHKG", NOW)
    results["cold exchange calendar build (XHKG)"] = {
        "once_ms": round((time.perf_counter() - start) * 1000, 1)
    }

    def raw_croniter() -> None:
        it = croniter("0 18 * * 1-5", NOW)
        for _ in range(100):
            it.get_next(datetime)

    results["baseline: croniter 100 instants, no calendar"] = stats(timed_ms(raw_croniter))
    for label, schedule in ROWS.items():
        calendar = calendars.resolve_calendar(schedule.calendar, {}, NOW)
        items = preview(schedule, calendar, NOW, 100)
        fires = sum(1 for c in items if c.skip is None)  # a monthly row runs into the data horizon first
        results[f"jobsched preview ({fires} fires, {len(items) - fires} skips): {label}"] = stats(
            timed_ms(lambda s=schedule, c=calendar: preview(s, c, NOW, 100))
        )
    width = max(len(k) for k in results)
    for label, figures in results.items():
        print(f"{label:{width}}  " + "  ".join(f"{k}={v}" for k, v in figures.items()))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "preview.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
