"""HTTP sources: a requests Session with timeouts, urllib3 Retry with backoff on 429/5xx, auth from env."""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import requests
from pydantic import Field, field_validator
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from jobsched.adapters.base import AdapterParams, Log
from jobsched.adapters.errors import SourceError
from jobsched.adapters.sources.secrets import env_secret

RETRY_STATUSES = (429, 500, 502, 503, 504)


class HttpParams(AdapterParams):
    """Connection settings shared by HTTP adapters. Secrets are named by env var, never stored in params."""

    timeout_seconds: float = Field(30.0, gt=0, description="read timeout per request")
    connect_timeout_seconds: float = Field(5.0, gt=0)
    retries: int = Field(4, ge=0, le=20, description="retries on connection errors, timeouts, 429 and 5xx")
    backoff_seconds: float = Field(1.0, ge=0, description="urllib3 backoff factor (exponential)")
    backoff_max_seconds: float = Field(60.0, gt=0)
    token_env: str | None = Field(None, description="env var holding a bearer token")
    basic_auth_env: str | None = Field(None, description="env var holding 'user:password'")


def check_template(value: str, **fields: Any) -> str:
    """A URL/file template with {date:%Y%m%d}-style placeholders; fails naming an unknown placeholder."""
    known = {"date", *fields}
    use = ", ".join("{" + k + "}" for k in sorted(known))
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); use {use}") from None
    for _, name, _, _ in parsed:
        if name is not None and name not in known:
            raise ValueError(f"unknown placeholder {{{name}}} (no attribute or index lookups); use {use}")
    try:
        value.format(date=date(2026, 1, 2), **{k: "x" for k in fields})
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"not a valid template ({exc}); use {use}") from None
    return value


class UrlTemplate(HttpParams):
    url: str = Field(description="URL template, e.g. http://host/eod/{date:%Y%m%d}.csv")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return check_template(value, account="")


def session_for(params: HttpParams) -> requests.Session:
    retry = Retry(
        total=params.retries,
        connect=params.retries,
        read=params.retries,
        status=params.retries,
        backoff_factor=params.backoff_seconds,
        backoff_max=params.backoff_max_seconds,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "jobsched-adapter/1.0"
    _authenticate(session, params)
    return session


def _authenticate(session: requests.Session, params: HttpParams) -> None:
    if token := env_secret(params.token_env):
        session.headers["Authorization"] = f"Bearer {token}"
    if basic := env_secret(params.basic_auth_env):
        user, _, password = basic.partition(":")
        session.auth = (user, password)


def auth_note(params: HttpParams) -> str:
    """How the request authenticates, for logs: names the env var, never its value."""
    if params.token_env:
        state = "set" if env_secret(params.token_env) else "NOT set"
        return f"bearer token from ${params.token_env} ({state})"
    if params.basic_auth_env:
        return f"basic auth from ${params.basic_auth_env}"
    return "no auth"


def get(
    session: requests.Session,
    url: str,
    params: HttpParams,
    log: Log | None = None,
    *,
    query: dict[str, Any] | None = None,
    stream: bool = False,
) -> requests.Response:
    """GET with the session's retries; a SourceError with a clear reason when it finally fails."""
    if log is not None:
        shown = f"{url} {query}" if query else url
        log.info(f"GET {shown} ({auth_note(params)}, timeout {params.timeout_seconds}s)")
    try:
        response = session.get(
            url,
            params=query,
            timeout=(params.connect_timeout_seconds, params.timeout_seconds),
            stream=stream,
        )
    except requests.exceptions.RequestException as exc:
        raise SourceError(url, _describe(exc, params)) from None
    if response.status_code in (401, 403):
        hint = (
            f"; check ${params.token_env or params.basic_auth_env}"
            if params.token_env or params.basic_auth_env
            else ""
        )
        raise SourceError(url, f"HTTP {response.status_code} {response.reason}{hint}", retryable=False)
    if response.status_code >= 400:
        body = " ".join(response.text[:200].split())
        after = f" after {params.retries} retries" if response.status_code in RETRY_STATUSES else ""
        raise SourceError(url, f"HTTP {response.status_code} {response.reason}{after}: {body}")
    return response


def _describe(exc: requests.exceptions.RequestException, params: HttpParams) -> str:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    tries = f"{params.retries + 1} attempt(s)"
    if isinstance(reason, NewConnectionError):  # a subclass of ConnectTimeoutError, but e.g. refused
        return f"connection failed, {tries}: {reason}"
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(reason, ReadTimeoutError):
        return f"timed out: no response within {params.timeout_seconds}s (read timeout), {tries}"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, ConnectTimeoutError):
        return f"timed out connecting within {params.connect_timeout_seconds}s, {tries}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"connection failed, {tries}: {reason or exc}"
    return f"{type(exc).__name__}: {exc}"
