"""The error body every failure answers with, documented in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ProblemOut(BaseModel):
    field: str = Field(description="the field (or header, query parameter) that is wrong")
    value: Any = Field(None, description="the value it held")
    message: str


class ErrorOut(BaseModel):
    error: str = Field(
        description="machine-readable: invalid, not_found, version_mismatch, unauthorized, ..."
    )
    message: str = Field(description="what is wrong and what to do about it")
    problems: list[ProblemOut] = Field(default_factory=list)


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("missing or wrong bearer token"),
    403: _error("no JOBSCHED_API_TOKEN configured: the API refuses writes (and closed reads)"),
    404: _error("no such row"),
    409: _error("conflicts with the current state (duplicate, in use, row unusable as stored)"),
    413: _error("request body over the size limit (1 MB)"),
    422: _error("invalid input: each problem names the field and the value"),
    503: _error("the database is not reachable"),
}

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    412: _error("If-Match does not match the row's current version: someone else changed it"),
    428: _error("the change needs the version you read (If-Match or `version`)"),
}
