"""ASGI guards in front of every route: a request body size limit, JSON that is well-formed, finite and at
most MAX_JSON_DEPTH deep (checked before anything parses it recursively), and security headers on HTML."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobsched.domain.validation import MAX_JSON_DEPTH, json_depth

MAX_BODY_BYTES = 1_000_000
HTML_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message


class BodyGuard:
    """Reads the body (at most `max_bytes`), refuses what no route should parse, then replays it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
            _check_json(scope, body)
        except _Refused as refused:
            await _answer(send, refused)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            raise _Refused(413, "too_large", f"request body over {self.max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _Refused(413, "too_large", f"request body over {self.max_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _check_json(scope: Scope, body: bytes) -> None:
    content_type = (_header(scope, b"content-type") or "").lower()
    if not body or (content_type and "json" not in content_type):
        return
    if json_depth(body) > MAX_JSON_DEPTH:
        raise _Refused(422, "invalid", f"invalid request: body is nested more than {MAX_JSON_DEPTH} deep")
    try:
        json.loads(body, parse_constant=_not_json)
    except ValueError as exc:
        what = str(exc) if isinstance(exc, _NotJson) else _position(exc)
        raise _Refused(422, "invalid", f"invalid request: body is not valid JSON: {what}") from None


class _NotJson(ValueError):
    pass


def _not_json(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number (numbers must be finite)")


def _position(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "unreadable"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _answer(send: Send, refused: _Refused) -> None:
    body = json.dumps(
        {
            "error": refused.code,
            "message": refused.message,
            "problems": [{"field": "body", "value": None, "message": refused.message.split(": ", 1)[-1]}],
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if refused.status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """CSP, X-Frame-Options and nosniff on every HTML answer (pages, /docs); nosniff on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {key.lower() for key, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                extra = HTML_HEADERS if content_type.startswith(b"text/html") else {}
                for name, value in {"x-content-type-options": "nosniff", **extra}.items():
                    if name.encode() not in names:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def reject_undeclared_query(request: Request) -> None:
    """A query parameter the operation does not declare is refused (422 naming it), never silently ignored:
    `?verison=3` on a DELETE must not delete without the version check the caller meant to ask for."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = _query_names(dependant)
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "input": request.query_params.get(name),
                }
                for name in unknown
            ]
        )


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
