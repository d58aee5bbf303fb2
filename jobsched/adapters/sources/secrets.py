"""Secrets named by parameters: an environment variable or a file, never the value itself."""

from __future__ import annotations

import os
from pathlib import Path

from jobsched.adapters.errors import SourceError


def env_secret(name: str | None) -> str | None:
    """The value of the environment variable a job definition names (None: unnamed, unset or empty). The
    one place adapters read a variable: settings are read in jobsched/settings.py."""
    return (os.environ.get(name) or None) if name else None


def secret(source: str, what: str, *, env: str | None = None, file: str | None = None) -> str | None:
    """The value of $env, else the stripped contents of `file`; None when neither is named.

    A named but unset variable or unreadable file is a SourceError that names it (never the value), and is
    not retried: the run cannot succeed until someone sets it.
    """
    if env:
        value = env_secret(env)
        if value:
            return value
        if not file:
            raise SourceError(source, f"{what}: environment variable ${env} is not set", retryable=False)
    if file:
        try:
            return Path(file).read_text().strip()
        except OSError as exc:
            raise SourceError(
                source, f"{what}: cannot read {file}: {exc.strerror}", retryable=False
            ) from None
    return None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff before retry number `attempt` (1-based), capped."""
    return min(cap, base * (2 ** (attempt - 1)))
