"""/health: 200 when everything is fine, 503 with what is wrong otherwise. Always open (for probes)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from jobsched.api.deps import get_engine, now
from jobsched.service.health import health as check_health
from jobsched.service.models import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "unhealthy"}}
)
def health(engine: Annotated[sa.Engine, Depends(get_engine)]) -> JSONResponse:
    """Database reachable, engine tick recent (the daemon's sensor writes one every tick), no quarantined
    schedule, every calendar in use with enough data ahead."""
    report = check_health(engine, now())
    return JSONResponse(report.model_dump(mode="json"), status_code=200 if report.ok else 503)
