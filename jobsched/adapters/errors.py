"""Errors an adapter run can end with. Each message names what was wrong and the value that was seen."""

from __future__ import annotations

from typing import Any


class AdapterError(Exception):
    """Base of all adapter errors."""

    #: False when retrying cannot help (bad parameters, bad data): the Dagster op fails without retries.
    retryable: bool = False


class AdapterConfigError(AdapterError, ValueError):
    """The adapter key or its parameters are wrong; raised when a job definition is written or run."""


class UnknownAdapter(AdapterConfigError, LookupError):
    def __init__(self, key: str, known: list[str]) -> None:
        self.key = key
        known_text = ", ".join(known) or "none"
        super().__init__(f"adapter={key!r}: unknown adapter key; registered adapters: {known_text}")


class InvalidParams(AdapterConfigError):
    """Parameters that fail the adapter's pydantic model. `problems` holds (field, value, message)."""

    def __init__(self, adapter_key: str, problems: list[tuple[str, Any, str]]) -> None:
        self.adapter_key = adapter_key
        self.problems = problems
        detail = "; ".join(f"{field}={value!r}: {message}" for field, value, message in problems)
        super().__init__(f"invalid params for adapter {adapter_key!r}: {detail}")

    @property
    def field(self) -> str:
        return self.problems[0][0]

    @property
    def value(self) -> Any:
        return self.problems[0][1]


class BatchRejected(AdapterError):
    """The source delivered data that fails validation: the whole batch is rejected and nothing is loaded."""

    def __init__(self, adapter_key: str, source: str, reason: str) -> None:
        self.adapter_key, self.source, self.reason = adapter_key, source, reason
        super().__init__(f"{adapter_key}: batch from {source} rejected, nothing loaded: {reason}")


class SourceError(AdapterError):
    """The source could not be read (timeout, HTTP error after retries, missing file). Worth retrying."""

    retryable = True

    def __init__(self, source: str, reason: str, *, retryable: bool = True) -> None:
        self.source, self.reason = source, reason
        self.retryable = retryable
        super().__init__(f"source {source}: {reason}")
