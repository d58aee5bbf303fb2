"""A few readable lines per database outage instead of a traceback per tick.

The engine sensor reports each tick's fate here: `failed` when the tick was abandoned on a transient database
error, `ok` when one completed. One line when the database becomes unreachable (since when, which fire is at
risk), one reminder a minute while it stays away, one when it answers again (how long it was away).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

log = logging.getLogger("jobsched.outage")

REMINDER_EVERY = timedelta(seconds=60)


@dataclass
class OutageLog:
    since: datetime | None = None
    last_reminder: datetime | None = None
    next_fire: datetime | None = None  # the earliest fire the last good tick planned
    failures: int = 0
    lines: list[str] = field(default_factory=list)  # what was logged, newest last (kept short; for tests)

    def ok(self, now: datetime, next_fire: datetime | None) -> str | None:
        line = None
        if self.since is not None:
            away = (now - self.since).total_seconds()
            line = (
                f"jobsched database reachable again at {now.isoformat()} after {away:.0f} s "
                f"({self.failures} ticks abandoned); fires due since {self.since.isoformat()} are planned "
                "now under each schedule's misfire policy"
            )
            self._emit(line)
        self.since, self.last_reminder, self.failures = None, None, 0
        self.next_fire = next_fire
        return line

    def failed(self, now: datetime, exc: BaseException) -> str | None:
        self.failures += 1
        error = " ".join(str(exc).split())[:200]
        if self.since is None:
            self.since = self.last_reminder = now
            line = (
                f"jobsched database unreachable since {now.isoformat()} ({type(exc).__name__}: {error}); "
                f"{self._at_risk(now)}; nothing is quarantined and no watermark moves while it is away"
            )
            self._emit(line)
            return line
        if self.last_reminder is not None and now - self.last_reminder >= REMINDER_EVERY:
            self.last_reminder = now
            away = (now - self.since).total_seconds()
            line = f"jobsched database still unreachable since {self.since.isoformat()} ({away:.0f} s); "
            line += self._at_risk(now)
            self._emit(line)
            return line
        return None

    def _at_risk(self, now: datetime) -> str:
        if self.next_fire is None:
            return "no fire was planned before it went away"
        if self.next_fire <= now:
            return f"fires due since {self.next_fire.isoformat()} are at risk (not yet claimed)"
        return f"the next planned fire at {self.next_fire.isoformat()} is at risk"

    def _emit(self, line: str) -> None:
        log.warning(line)
        self.lines = [*self.lines[-9:], line]


OUTAGE = OutageLog()
