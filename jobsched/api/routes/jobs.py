"""/jobs (job definitions) and /adapters (what a job definition can run)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Response

from jobsched.api.auth import require_read, require_write
from jobsched.api.deps import PAGED, IfMatch, Limit, Offset, etag, get_engine, page, paged, versioned
from jobsched.api.responses import ERRORS, WRITE_ERRORS
from jobsched.service import jobs as service
from jobsched.service.models import JobInput, JobOut, JobPatch

router = APIRouter(tags=["jobs"], responses=ERRORS)
Engine = Annotated[sa.Engine, Depends(get_engine)]
JobKey = Annotated[str, Path(max_length=100, description="job definition key")]
Read = [Depends(require_read)]
Write = [Depends(require_write)]


@router.get("/jobs", dependencies=Read, responses=PAGED)
def list_jobs(
    engine: Engine,
    response: Response,
    limit: Limit = 100,
    offset: Offset = 0,
    adapter: Annotated[str | None, Query(max_length=100)] = None,
    enabled: bool | None = None,
) -> list[JobOut]:
    """Job definitions by key, bad rows included (see `problem`); credentials in params are redacted."""
    return paged(service.list_jobs(engine, page(limit, offset), adapter, enabled), limit, offset, response)


@router.post("/jobs", status_code=201, dependencies=Write, responses=WRITE_ERRORS)
def create_job(body: JobInput, engine: Engine, response: Response) -> JobOut:
    created = service.create_job(engine, body.model_dump())
    response.headers["Location"] = f"/jobs/{quote(created.job_key or '', safe='')}"
    etag(response, created.version)
    return created


@router.get("/jobs/{job_key}", dependencies=Read)
def get_job(job_key: JobKey, engine: Engine, response: Response) -> JobOut:
    found = service.get_job(engine, job_key)
    etag(response, found.version)
    return found


@router.patch("/jobs/{job_key}", dependencies=Write, responses=WRITE_ERRORS)
def update_job(
    job_key: JobKey, body: JobPatch, engine: Engine, response: Response, if_match: IfMatch = None
) -> JobOut:
    patch = body.model_dump(exclude_unset=True)
    body_version = patch.pop("version", None)
    updated = versioned(if_match, body_version, lambda v: service.update_job(engine, job_key, patch, v))
    etag(response, updated.version)
    return updated


@router.delete("/jobs/{job_key}", status_code=204, dependencies=Write, responses=WRITE_ERRORS)
def delete_job(
    job_key: JobKey,
    engine: Engine,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    versioned(if_match, version, lambda v: service.delete_job(engine, job_key, v))
    return Response(status_code=204)


@router.get("/adapters", dependencies=Read, tags=["jobs"])
def list_adapters() -> list[dict[str, Any]]:
    """Registered adapters with their parameter schema (what `params` of a job definition must satisfy)."""
    from jobsched.adapters.registry import all_adapters

    return [
        {
            "key": key,
            "description": getattr(adapter, "description", None),
            "params_schema": adapter.Params.model_json_schema(),
        }
        for key, adapter in all_adapters().items()
    ]
