"""Programmable misbehaviour of the sample server: failing statuses, slow answers, rate limiting."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Fault:
    path: str  # prefix of the request path it applies to
    status: int | None = None  # answer this status instead of the payload
    delay: float = 0.0  # sleep before answering
    count: int = 1  # how many requests it applies to; -1 = all
    body: str = "injected fault"
    retry_after: int | None = None


@dataclass
class RateLimit:
    per_second: float
    burst: int
    retry_after: int = 1
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)


class FaultBook:
    """Thread-safe state behind /_control: faults, a token-bucket rate limit, request counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.limits: dict[str, RateLimit] = {}
        self.hits: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.limits.clear()
            self.hits.clear()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def rate_limit(self, prefix: str, per_second: float, burst: int, retry_after: int = 1) -> None:
        with self._lock:
            self.limits[prefix] = RateLimit(per_second, burst, retry_after, tokens=float(burst))

    def take(self, path: str) -> Fault | None:
        """Count the request; return the fault (or a 429) that applies to it, if any."""
        with self._lock:
            self.hits[path] += 1
            for fault in self.faults:
                if path.startswith(fault.path) and fault.count != 0:
                    fault.count -= 1 if fault.count > 0 else 0
                    return fault
            for prefix, limit in self.limits.items():
                if path.startswith(prefix) and not _admit(limit):
                    wait = max(limit.retry_after, math.ceil((1 - limit.tokens) / limit.per_second))
                    return Fault(path, status=429, body="rate limit exceeded", retry_after=wait)
        return None

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self.hits)


def _admit(limit: RateLimit) -> bool:
    now = time.monotonic()
    limit.tokens = min(limit.burst, limit.tokens + (now - limit.updated) * limit.per_second)
    limit.updated = now
    if limit.tokens >= 1:
        limit.tokens -= 1
        return True
    return False
