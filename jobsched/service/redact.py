"""Credentials never leave through reads: job parameters are shown with secrets replaced by REDACTED.

Redacted: the value of any key whose name holds password, passwd, pwd, secret, token, apikey/api_key,
access_key, private_key, credential(s) or auth; the password of URL userinfo (`scheme://user:***@host`);
query parameters with such names (`?apikey=***`). Keys ending in `_env` name an environment variable and are
shown as they are (that is the recommended way to give an adapter a secret)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"
_SECRET_NAME = re.compile(
    r"pass(word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|signature",
    re.IGNORECASE,
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]+")


def secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not name.lower().endswith("_env")


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of `value` (parsed JSON) with credentials replaced by REDACTED."""
    if depth > 64:
        return REDACTED
    if isinstance(value, dict):
        return {
            key: REDACTED if secret_name(str(key)) and item not in (None, "") else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Every URL in `text` with its userinfo password and secret query parameters redacted."""
    if "://" not in text:
        return text
    return _URL.sub(lambda match: _redact_url(match.group(0)), text)


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user, colon, _ = userinfo.partition(":")
            netloc = f"{user}:{REDACTED}@{host}" if colon else f"{REDACTED}@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(secret_name(name) for name, _ in pairs):
                query = urlencode(
                    [(name, REDACTED if secret_name(name) else item) for name, item in pairs], safe="{}:%*"
                )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return REDACTED
