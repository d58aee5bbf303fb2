"""Which database errors are transient (the database blipped) rather than a problem with a row."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


def is_transient(exc: BaseException) -> bool:
    """A lost or refused connection, a timeout or a server shutdown: the tick is abandoned, never a row
    quarantined."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError)
