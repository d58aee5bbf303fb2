"""SQL sources: a query against another database URL, with :business_date-style bind parameters."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import sqlalchemy as sa

from jobsched.adapters.errors import SourceError
from jobsched.store.db import engine_for


def safe_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def read_query(url: str, query: str, binds: dict[str, Any]) -> pd.DataFrame:
    """Rows of `query` as strings-as-delivered (object dtype); only binds named in the query are passed."""
    used = {k: v for k, v in binds.items() if re.search(rf":{re.escape(k)}\b", query)}
    try:
        with engine_for(url).connect() as conn:
            result = conn.execute(sa.text(query), used)
            columns = list(result.keys())
            return pd.DataFrame(result.fetchall(), columns=columns, dtype=object)
    except sa.exc.OperationalError as exc:
        raise SourceError(safe_url(url), f"database error: {_first_line(exc)}") from None
    except sa.exc.DBAPIError as exc:
        raise SourceError(safe_url(url), f"query failed: {_first_line(exc)}", retryable=False) from None


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
