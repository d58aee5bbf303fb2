"""Errors of the editing layer. Each names the field and the value; the API and the CLI render them alike."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from jobsched.domain.validation import clip


@dataclass(frozen=True)
class Problem:
    """One bad input: which field, what it held, what is wrong with it."""

    field: str
    value: Any
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", clip(self.value))  # errors quote at most a prefix

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.message}"


class ServiceError(Exception):
    """Base: `status` is the HTTP status the API answers with; `code` a stable machine-readable word."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.message = message
        self.problems = problems or []
        super().__init__(message)

    def lines(self) -> list[str]:
        """Human-readable lines: the message, then one per problem (the CLI prints these)."""
        if len(self.problems) <= 1:
            return [self.message]
        return [self.message, *(f"  {problem}" for problem in self.problems)]


class Invalid(ServiceError):
    status = 422
    code = "invalid"

    def __init__(self, problems: list[Problem], what: str = "input") -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"invalid {what}: {first}{more}", problems)

    @classmethod
    def one(cls, field: str, value: Any, message: str, what: str = "input") -> Invalid:
        return cls([Problem(field, value, message)], what)


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"{kind} {clip(key)!r} not found")


class Conflict(ServiceError):
    """The request contradicts the current state (row referenced elsewhere, duplicate name)."""

    status = 409
    code = "conflict"


class VersionMismatch(ServiceError):
    """Optimistic concurrency: someone changed the row since the caller read it."""

    status = 409
    code = "version_mismatch"

    def __init__(self, kind: str, key: object, expected: int, current: int) -> None:
        self.expected, self.current = expected, current
        super().__init__(
            f"{kind} {key!r} was changed by someone else: you sent version {expected}, it is now at version "
            f"{current}. Read it again, re-apply your change and send version {current}."
        )


class VersionRequired(ServiceError):
    status = 428
    code = "version_required"

    def __init__(self, kind: str, key: object, current: int) -> None:
        self.current = current
        super().__init__(
            f"changing {kind} {key!r} needs the version you read (currently {current}): send the header "
            f'If-Match: "{current}" or "version": {current} in the body, so that no edit is silently lost'
        )


def problems_from_validation(exc: ValidationError, data: dict[str, Any] | None = None) -> list[Problem]:
    """pydantic errors -> Problems. Model-level errors ('cron: required when ...') name their field first."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        location = [str(part) for part in error["loc"] if part != "body"]
        message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if location:
            field = ".".join(location)
        else:
            head, sep, rest = message.partition(": ")
            field = head if sep and " " not in head.replace(" and ", "+") else "body"
            field = field.replace(" and ", ", ") if sep else "body"
            message = rest if sep else message
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "field required"
        first_field = field.split(", ")[0].split(".")[0]
        if data is not None and first_field in data:
            value = data[first_field]
        else:
            value = error.get("input") if error["type"] not in ("missing",) and location else None
        problems.append(Problem(field, _jsonable(value), message))
    return problems


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)
