"""Which database errors are the database being away (retry later), not the row being wrong (quarantine)."""

from __future__ import annotations

import socket

import sqlalchemy.exc as sa_exc

# Substrings of driver messages that mean "the server is unreachable, restarting, busy or gave up on us".
_TRANSIENT_TEXT = (
    "server closed the connection",
    "connection refused",
    "connection reset",
    "connection timed out",
    "could not connect",
    "connection to server",
    "connection already closed",
    "connection is closed",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "no connection to the server",
    "ssl connection has been closed",
    "could not receive data",
    "could not send data",
    "timeout expired",
    "canceling statement due to statement timeout",
    "could not serialize access",
    "deadlock detected",
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "too many connections",
    "remaining connection slots are reserved",
    "queuepool limit",
)

# SQLSTATE classes/codes: 08 connection exception, 57P01-03 admin/crash shutdown and cannot-connect-now,
# 40001 serialization failure, 40P01 deadlock, 53300 too many connections, 57014 statement timeout.
_TRANSIENT_SQLSTATES = ("40001", "40P01", "53300", "57014", "57P01", "57P02", "57P03")


def is_transient(exc: BaseException) -> bool:
    """True for an error the same statement may not raise once the database answers again."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_one(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_one(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(exc, ConnectionError | socket.timeout | TimeoutError):
        return True
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    code = str(getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None) or "")
    if code.startswith("08") or code in _TRANSIENT_SQLSTATES:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or _is_driver_error(orig):
        text = str(orig).lower()
        return any(fragment in text for fragment in _TRANSIENT_TEXT)
    return False


def _is_driver_error(exc: BaseException | None) -> bool:
    """A DB-API OperationalError/InterfaceError raised outside SQLAlchemy (psycopg2, sqlite3)."""
    return type(exc).__name__ in {"OperationalError", "InterfaceError"}
