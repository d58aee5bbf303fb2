"""The editing layer behind the HTTP API and the CLI: validation, optimistic concurrency, actions, reads.

No dagster here. Functions take a SQLAlchemy engine and, where time matters, `now`; they raise ServiceError
subclasses (errors.py) that name the field and the value, which the API turns into 4xx answers and the CLI
into messages and a non-zero exit code.
"""

from jobsched.service.errors import (
    Conflict,
    Invalid,
    NotFound,
    Problem,
    ServiceError,
    VersionMismatch,
    VersionRequired,
)

__all__ = [
    "Conflict",
    "Invalid",
    "NotFound",
    "Problem",
    "ServiceError",
    "VersionMismatch",
    "VersionRequired",
]
