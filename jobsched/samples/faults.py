"""Programmable misbehaviour of the sample server: failing statuses, slow answers, rate limiting."""

from __future__ import annotations

import base64
import math
import secrets
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


class OAuthIssuer:
    """The token endpoint's state: one client (id:secret), bearer tokens with a lifetime."""

    def __init__(self, client: str | None, ttl: float) -> None:
        self.client, self.ttl = client, ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._uses: dict[str, int] = {}
        self.max_uses: int | None = None  # tests: a token stops working after this many API calls

    def issue(self, authorization: str, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        given = ""
        if authorization.startswith("Basic "):
            given = base64.b64decode(authorization[6:]).decode(errors="replace")
        elif "client_id" in form:
            given = f"{form['client_id']}:{form.get('client_secret', '')}"
        if self.client is None or not secrets.compare_digest(given, self.client):
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.ttl
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": int(self.ttl)}

    def valid(self, authorization: str) -> bool:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            if self._tokens.get(token, 0.0) <= time.monotonic():
                return False
            self._uses[token] = self._uses.get(token, 0) + 1
            return self.max_uses is None or self._uses[token] <= self.max_uses

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._uses.clear()
            self.max_uses = None
