"""Small pieces the routes share: the database engine, id/version parameters, ETags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import sqlalchemy as sa
from fastapi import Header, Path, Request, Response

from jobsched.service.common import ANY_VERSION, MAX_ID
from jobsched.service.errors import Invalid, ServiceError, VersionMismatch

T = TypeVar("T")

ScheduleId = Annotated[int, Path(ge=1, le=MAX_ID, description="schedule id")]
IfMatch = Annotated[
    str | None,
    Header(
        max_length=100,
        description='the ETag (row version) you read, e.g. "3"; `*` skips the check',
    ),
]


def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine


def now() -> datetime:
    return datetime.now(UTC)


class PreconditionFailed(ServiceError):
    status = 412
    code = "precondition_failed"


def etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> tuple[int | None, bool]:
    """(expected version, whether it came from If-Match); If-Match: * means 'whatever it is now'."""
    if if_match is None or not if_match.strip():
        return body_version, False
    text = if_match.strip()
    if text == "*":
        return None, True
    text = text.removeprefix("W/").strip().strip('"')
    if not text.isdigit() or len(text) > 10:
        raise Invalid.one(
            "If-Match", if_match, 'expected an ETag like "3" (the version you read) or *', "header"
        )
    version = int(text)
    if body_version is not None and body_version != version:
        raise Invalid.one("version", body_version, f"differs from If-Match {if_match}", "request")
    return version, True


def versioned(if_match: str | None, body_version: int | None, action: Callable[[int | None], T]) -> T:
    """Run a write with the caller's expected version; a stale If-Match answers 412, a stale body version 409.
    If-Match: * skips the check on purpose (the action gets the 'any version' marker -1)."""
    version, from_header = expected_version(if_match, body_version)
    if from_header and version is None:
        version = ANY_VERSION
    try:
        return action(version)
    except VersionMismatch as exc:
        if from_header:
            raise PreconditionFailed(exc.message) from None
        raise
