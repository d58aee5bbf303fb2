"""/health: 200 when everything is fine, 503 otherwise. Open for probes; the details (what is wrong) only to
callers that may read (open reads, or a valid token)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from jobsched.api.auth import Credentials, may_read
from jobsched.api.deps import get_engine, now
from jobsched.service.health import health as check_health
from jobsched.service.models import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "unhealthy"}}
)
def get_health(
    request: Request, credentials: Credentials, engine: Annotated[sa.Engine, Depends(get_engine)]
) -> JSONResponse:
    """Database reachable, engine tick recent (the daemon's sensor writes one every tick), no quarantined
    schedule, every calendar in use with enough data ahead. Without read access: only `ok`, `checked_at`."""
    report = check_health(engine, now())
    body = report.model_dump(mode="json")
    if not may_read(request, credentials):
        body = {"ok": report.ok, "checked_at": body["checked_at"]}
    return JSONResponse(body, status_code=200 if report.ok else 503)
