"""Bearer-token auth: writes always need JOBSCHED_API_TOKEN; reads only when JOBSCHED_API_OPEN_READS=false."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jobsched import settings as jobsched_settings
from jobsched.service.errors import ServiceError

bearer = HTTPBearer(auto_error=False, description="JOBSCHED_API_TOKEN of the API server")

HOW_TO = (
    "set JOBSCHED_API_TOKEN=<a long random secret> in the API server's environment, restart it, and send "
    "the header 'Authorization: Bearer <that secret>'"
)


@dataclass(frozen=True)
class AuthSettings:
    token: str | None
    open_reads: bool

    @classmethod
    def from_env(cls) -> AuthSettings:
        config = jobsched_settings.current()
        return cls(config.api_token, config.api_open_reads)


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}


class WritesDisabled(ServiceError):
    status = 403
    code = "writes_disabled"


def _check(request: Request, credentials: HTTPAuthorizationCredentials | None, what: str) -> None:
    settings: AuthSettings = request.app.state.auth
    if settings.token is None:
        raise WritesDisabled(f"{what} are disabled because no API token is configured: {HOW_TO}")
    given = credentials.credentials if credentials is not None else ""
    if not given:
        raise Unauthorized(f"{what} need a bearer token: send 'Authorization: Bearer <JOBSCHED_API_TOKEN>'")
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), settings.token.encode("utf-8")):
        raise Unauthorized("the bearer token does not match JOBSCHED_API_TOKEN")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def require_write(request: Request, credentials: Credentials) -> None:
    _check(request, credentials, "writes")


def require_read(request: Request, credentials: Credentials) -> None:
    if request.app.state.auth.open_reads:
        return
    _check(request, credentials, "reads (JOBSCHED_API_OPEN_READS=false)")


def may_read(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    """Whether this caller may see details (reads are open, or it sent the right token)."""
    try:
        require_read(request, credentials)
    except ServiceError:
        return False
    return True
