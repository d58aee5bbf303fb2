"""The jobsched HTTP API: `create_app()` for uvicorn (`jobsched api`) and for tests. Thin: routes parse,
call jobsched.service, answer. Every error is JSON {error, message, problems: [{field, value, message}]}."""

from __future__ import annotations

import math
import re
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobsched import settings
from jobsched.api.auth import AuthSettings, require_read, require_write
from jobsched.api.guards import BodyGuard, SecurityHeaders, reject_undeclared_query
from jobsched.api.routes import calendars, docs, health, jobs, pages, probes, schedules
from jobsched.domain.validation import clip
from jobsched.service.errors import Problem, ServiceError, problems_from_validation
from jobsched.store.db import engine_for

DESCRIPTION = """
Edit jobsched's rows (job definitions, schedules, custom calendars) and see their fires.

* **Writes** need `Authorization: Bearer <JOBSCHED_API_TOKEN>`; with no token configured the API refuses them.
* **Optimistic concurrency**: single-row GETs answer an `ETag` (the row's `version`). Send it back as
  `If-Match` (or as `version` in the body) when you change or delete the row; a stale version gets 412
  (If-Match) or 409 (body), never a silent overwrite.
* **Calendar view**: `/schedules/{id}/calendar` (HTML).
"""


def create_app(database_url: str | None = None, *, auth: AuthSettings | None = None) -> FastAPI:
    app = FastAPI(
        title="jobsched API",
        version="1",
        description=DESCRIPTION,
        docs_url=None,  # served by routes/docs.py from packaged assets
        openapi_url="/openapi.json",
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
        dependencies=[Depends(reject_undeclared_query)],
    )
    app.state.engine = engine_for(settings.normalize_url(database_url) if database_url else None)
    app.state.auth = auth or AuthSettings.from_env()
    for module in (schedules, jobs, calendars, health, probes, pages):
        app.include_router(module.router)
    docs.install(app)
    _install_error_handlers(app)
    app.add_middleware(BodyGuard)
    app.add_middleware(SecurityHeaders)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with security declared only on the operations that require a token (writes, and
    reads when JOBSCHED_API_OPEN_READS=false)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        open_reads = app.state.auth.open_reads
        for route in _api_routes(app.routes):
            calls = _dependency_calls(route.dependant)
            needed = require_write in calls or (require_read in calls and not open_reads)
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if status[0] in "45" and "text/html" in content:  # errors are JSON, pages too
                        content["application/json"] = content.pop("text/html")
                if not needed:
                    operation.pop("security", None)
                    for status in ("401", "403"):
                        operation.get("responses", {}).pop(status, None)
        app.openapi_schema = schema
    return app.openapi_schema


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif getattr(route, "original_router", None) is not None:  # routers included (FastAPI >= 0.16x)
            found += _api_routes(route.original_router.routes)
        elif getattr(route, "routes", None):
            found += _api_routes(route.routes)
    return found


def _dependency_calls(dependant: Any) -> set[Any]:
    calls = {dependant.call}
    for sub in dependant.dependencies:
        calls |= _dependency_calls(sub)
    return calls


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.problems, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = _request_problems(exc)
        in_body = all(str(error.get("loc", ("body",))[0]) == "body" for error in exc.errors())
        what = _what(request.url.path) if in_body else "request"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return error_response(422, "invalid", f"invalid {what}: {problems[0]}{more}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), [], getattr(exc, "headers", None))

    @app.exception_handler(sa.exc.OperationalError)
    async def database_down(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        first = str(exc.orig).splitlines()[0] if exc.orig else "unknown"
        return error_response(
            503, "database_unavailable", f"the jobsched database is not reachable: {first}", []
        )

    @app.exception_handler(RecursionError)
    async def too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        return error_response(422, "invalid", "invalid request: nested too deep", [])

    @app.exception_handler(sa.exc.IntegrityError)
    async def integrity(_request: Request, exc: sa.exc.IntegrityError) -> JSONResponse:
        # Two writers raced past the service's checks; the database's unique keys and CHECKs caught it.
        first = str(exc.orig).splitlines()[0] if exc.orig else "constraint violated"
        return error_response(409, "conflict", f"the database refused the change: {first}", [])


_WHAT = (
    (re.compile(r"^/schedules/[^/]+/(pause|backfill|trigger)$"), None),
    (re.compile(r"^/schedules(/.*)?$"), "schedule"),
    (re.compile(r"^/jobs(/.*)?$"), "job definition"),
    (re.compile(r"^/calendars/[^/]+/overrides(/.*)?$"), "calendar override"),
    (re.compile(r"^/calendars(/.*)?$"), "calendar"),
)


def _what(path: str) -> str:
    """The thing a request body describes, named as the service names it (so API and CLI messages agree)."""
    for pattern, what in _WHAT:
        match = pattern.match(path)
        if match:
            return what or match.group(1)
    return "request"


def _request_problems(exc: RequestValidationError) -> list[Problem]:
    problems = []
    body = exc.body if isinstance(exc.body, dict) else {}
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        where = location[0] if location else "body"
        if error.get("type") == "json_invalid":
            problems.append(Problem("body", None, f"not valid JSON: {error.get('ctx', {}).get('error', '')}"))
            continue
        field = ".".join(location[1:]) or where
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        elif error.get("type") == "missing":
            message = "field required"
        elif where == "body" and not location[1:]:
            nested = _model_level(message, body)
            if nested:
                problems.append(nested)
                continue
        value = None if error.get("type") == "missing" else error.get("input")
        if where in ("query", "path", "header"):
            message = f"{message} (in {where})"
        problems.append(Problem(field, _plain(value), message))
    return problems or [Problem("body", None, "invalid request")]


def _model_level(message: str, body: dict[str, Any]) -> Problem | None:
    """'cron: required when ...' (a model-level check) names its field first; take the value from the body."""
    head, sep, rest = message.partition(": ")
    if sep and " " not in head.replace(" and ", "+"):
        field = head.replace(" and ", ", ")
        return Problem(field, _plain(body.get(field.split(", ")[0])), rest)
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return clip(value)
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, dict | list | tuple):
        clipped = clip(value)
        if clipped is not value:
            return clipped
        if isinstance(value, dict):
            return {str(k): _plain(v) for k, v in value.items()}
        return [_plain(v) for v in value]
    return clip(str(value))


def error_response(
    status: int, code: str, message: str, problems: list[Problem], headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "error": code,
        "message": message,
        "problems": [{"field": p.field, "value": p.value, "message": p.message} for p in problems],
    }
    return JSONResponse(body, status_code=status, headers=headers)


__all__ = ["create_app", "problems_from_validation"]
