"""Small pieces the routes share: the database engine, id/version parameters, ETags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Header, Path, Query, Request, Response

from jobsched.service.common import ANY_VERSION, MAX_ID, MAX_PAGE, Page
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


def etag(response: Response, version: int | None) -> None:
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


# Collections are paged: ?limit=&offset=, ordered by their key; X-Next-Offset says where the next page starts.
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"page size (1..{MAX_PAGE})")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="how many items to skip")]
PAGED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "one page, in key order",
        "headers": {
            "X-Next-Offset": {
                "description": "the offset of the next page; absent on the last page",
                "schema": {"type": "integer"},
            }
        },
    }
}


def page(limit: int, offset: int) -> Page:
    """One more than asked for, to know whether a next page exists."""
    return Page(limit + 1, offset)


def paged(items: list[T], limit: int, offset: int, response: Response) -> list[T]:
    if len(items) > limit:
        response.headers["X-Next-Offset"] = str(offset + limit)
    return items[:limit]
