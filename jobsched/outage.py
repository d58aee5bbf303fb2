"""A few readable lines per database outage instead of a traceback per tick.

The engine sensor reports each tick's fate here: `failed` when the tick was abandoned on a transient database
error, `ok` when one completed. One line when the database becomes unreachable (since when, which fire is at
risk), one reminder a minute while it stays away, one when it answers again (how long it was away).
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from jobsched import settings

log = logging.getLogger("jobsched.outage")

REMINDER_EVERY = timedelta(seconds=60)


@dataclass
class OutageLog:
    since: datetime | None = None
    last_reminder: datetime | None = None
    next_fire: datetime | None = None  # the earliest fire the last good tick planned
    failures: int = 0
    lines: list[str] = field(default_factory=list)  # what was logged, newest last (kept short; for tests)
    # the daemon replaces its code server (where the sensor runs) every minute: keep the state in a file
    path: Path | None = None

    @classmethod
    def persistent(cls) -> OutageLog:
        home = settings.current().dagster_home or tempfile.gettempdir()
        outage = cls(path=Path(home) / "jobsched_outage.json")
        try:
            saved = json.loads(outage.path.read_text())  # type: ignore[union-attr]
            for name in ("since", "last_reminder", "next_fire"):
                setattr(outage, name, datetime.fromisoformat(saved[name]) if saved.get(name) else None)
            outage.failures = int(saved.get("failures", 0))
        except (OSError, ValueError, TypeError, KeyError):
            pass
        return outage

    def _save(self) -> None:
        if self.path is None:
            return
        values = {n: v.isoformat() if v else None for n, v in self._instants().items()}
        try:
            self.path.write_text(json.dumps(values | {"failures": self.failures}))
        except OSError as exc:
            log.debug("cannot keep the outage state in %s: %s", self.path, exc)

    def _instants(self) -> dict[str, datetime | None]:
        return {"since": self.since, "last_reminder": self.last_reminder, "next_fire": self.next_fire}

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
        changed = line is not None or next_fire != self.next_fire
        self.since, self.last_reminder, self.failures = None, None, 0
        self.next_fire = next_fire
        if changed:
            self._save()
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
            self._save()
            return line
        if self.last_reminder is not None and now - self.last_reminder >= REMINDER_EVERY:
            self.last_reminder = now
            away = (now - self.since).total_seconds()
            line = f"jobsched database still unreachable since {self.since.isoformat()} ({away:.0f} s); "
            line += self._at_risk(now)
            self._emit(line)
            self._save()
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


OUTAGE = OutageLog.persistent()
