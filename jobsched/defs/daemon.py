"""`python -m jobsched.defs.daemon run ...`: `dagster-daemon` without the sensor heartbeat lines.

At INFO the sensor daemon logs "Checking for new runs for sensor: X" on every tick of every sensor and
repeats an unchanged skip message ("Sensor X skipped: ...") each time: in 10 minutes ~2/3 of the log.
This filter keeps every other line, and of a sensor's skip messages only those that differ from its
previous one, so the log shows what changed (a new next fire, a skip with its reason), not that time passed.
"""

from __future__ import annotations

import logging
import re
import sys

_SKIP = re.compile(r"^Sensor (?P<sensor>\S+) skipped: (?P<text>.*)$", re.S)
_QUIET = ("Checking for new runs for sensor: ", "No run requests returned for ")


class HeartbeatFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        if message.startswith(_QUIET):
            return False
        match = _SKIP.match(message)
        if match is None:
            return True
        sensor, text = match.group("sensor"), match.group("text")
        if text == "Sensor function returned an empty result" or self._last.get(sensor) == text:
            return False
        self._last[sensor] = text
        return True


def install() -> None:
    logging.getLogger("dagster.daemon.SensorDaemon").addFilter(HeartbeatFilter())


def main() -> None:
    from dagster._daemon.cli import main as daemon_main

    install()
    sys.argv[0] = "dagster-daemon"
    daemon_main()


if __name__ == "__main__":
    main()
