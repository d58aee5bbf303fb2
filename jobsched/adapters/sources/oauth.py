"""OAuth2 client-credentials grant (RFC 6749 4.4) for HTTP sources: client id and secret from env vars or a
file, the token POST retried with backoff like any GET, the token kept for the session."""

from __future__ import annotations

import requests
from pydantic import Field, field_validator
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from jobsched.adapters.base import Log
from jobsched.adapters.errors import SourceError
from jobsched.adapters.sources.http import RETRY_STATUSES, HttpParams, _describe
from jobsched.adapters.sources.secrets import secret


class OAuthClientParams(HttpParams):
    token_url: str = Field(description="the authorization server's token endpoint")
    client_id_env: str = Field(description="env var holding the client id")
    client_secret_env: str | None = Field(None, description="env var holding the client secret")
    client_secret_file: str | None = Field(None, description="file holding the client secret")
    scope: str | None = None

    @field_validator("token_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def fetch_token(params: OAuthClientParams, log: Log) -> str:
    """A bearer token for the client (HTTP Basic client authentication, RFC 6749 2.3.1)."""
    url = params.token_url
    client_id = secret(url, "OAuth2 client id", env=params.client_id_env)
    client_secret = secret(
        url, "OAuth2 client secret", env=params.client_secret_env, file=params.client_secret_file
    )
    if not client_secret:
        raise SourceError(url, "name client_secret_env or client_secret_file", retryable=False)
    retry = Retry(
        total=params.retries,
        backoff_factor=params.backoff_seconds,
        backoff_max=params.backoff_max_seconds,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"POST"}),  # a client-credentials grant has no side effect
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    form = {"grant_type": "client_credentials", **({"scope": params.scope} if params.scope else {})}
    log.info(f"POST {url} (client credentials from ${params.client_id_env})")
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        try:
            response = session.post(
                url,
                data=form,
                auth=(client_id or "", client_secret),
                timeout=(params.connect_timeout_seconds, params.timeout_seconds),
            )
        except requests.exceptions.RequestException as exc:
            raise SourceError(url, _describe(exc, params)) from None
    if response.status_code in (400, 401, 403):
        error = _json(response).get("error", response.reason)
        raise SourceError(url, f"token request refused: HTTP {response.status_code} {error}", retryable=False)
    if response.status_code >= 400:
        raise SourceError(
            url, f"token request failed: HTTP {response.status_code} after {params.retries} retries"
        )
    token = _json(response).get("access_token")
    if not isinstance(token, str) or not token:
        raise SourceError(url, "token response has no access_token", retryable=False)
    return token


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
