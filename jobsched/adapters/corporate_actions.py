"""corporate_actions: a cursor-paginated JSON API (rate limited: 429 + Retry-After) -> corporate_actions."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.parsing import first_violation, not_business_date
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import HttpParams, get, session_for
from jobsched.adapters.warehouse import slice_table

EVENT_TYPES = ("DIVIDEND", "SPLIT", "BONUS", "RIGHTS", "MERGER", "SPINOFF")
FIELDS = (
    "id",
    "type",
    "symbol",
    "isin",
    "ex_date",
    "record_date",
    "pay_date",
    "amount",
    "currency",
    "ratio",
    "description",
)

corporate_actions = slice_table(
    "corporate_actions",
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(10), nullable=False),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("ex_date", sa.Date, nullable=False),
    sa.Column("record_date", sa.Date),
    sa.Column("pay_date", sa.Date),
    sa.Column("amount", sa.Float),
    sa.Column("currency", sa.String(3)),
    sa.Column("ratio", sa.String(20)),
    sa.Column("description", sa.Text),
    key=("event_id",),
)


class CorporateActionsParams(HttpParams):
    url: str = Field(description="events endpoint; gets ?ex_date=YYYY-MM-DD&limit=N&cursor=...")
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(1000, ge=1)
    retries: int = Field(8, ge=0, le=20, description="429s are retried after the server's Retry-After")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


@register("corporate_actions")
class CorporateActions(BaseAdapter):
    Params = CorporateActionsParams
    description = "Corporate-action events from a paginated, rate-limited JSON API -> corporate_actions."
    table = corporate_actions
    source_kind = "http"
    upstream = ("corporate_actions_api",)
    allow_empty = True
    columns = (
        Col("id", "event_id"),
        Col("type", "event_type", choices=EVENT_TYPES, upper=True),
        Col("symbol", "symbol", upper=True),
        Col("isin", "isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]", upper=True),
        Col("ex_date", "ex_date", kind="date"),
        Col("record_date", "record_date", kind="date", required=False),
        Col("pay_date", "pay_date", kind="date", required=False),
        Col("amount", "amount", kind="float", required=False, min_value=0),
        Col("currency", "currency", required=False, pattern=r"[A-Z]{3}"),
        Col("ratio", "ratio", required=False, pattern=r"\d+:\d+"),
        Col("description", "description", required=False),
    )
    natural_key = ("event_id",)

    def read(self, ctx: RunContext, params: CorporateActionsParams) -> SourceBatch:
        records: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        source = f"{params.url}?ex_date={ctx.business_date.isoformat()}"
        batch = SourceBatch(pd.DataFrame(columns=list(FIELDS)), source=source)
        with session_for(params) as session:
            for page in range(1, params.max_pages + 1):
                query = {"ex_date": ctx.business_date.isoformat(), "limit": params.page_size}
                response = get(
                    session, params.url, params, ctx.log, query=query | ({"cursor": cursor} if cursor else {})
                )
                data, cursor = self._page(batch, response, page)
                records.extend(data)
                if cursor is None:
                    break
                if cursor in seen:
                    raise self.reject(batch, f"page {page}: next_cursor {cursor!r} repeats (pagination loop)")
                seen.add(cursor)
            else:
                raise self.reject(batch, f"more than max_pages={params.max_pages} pages")
        batch.frame = pd.DataFrame(records, columns=list(FIELDS), dtype=object)
        batch.extra["pages"] = page
        return batch

    def _page(self, batch: SourceBatch, response: Any, page: int) -> tuple[list[dict[str, Any]], str | None]:
        try:
            body = response.json()
        except ValueError as exc:
            raise self.reject(batch, f"page {page} is not valid JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise self.reject(
                batch, f"page {page}: expected an object with a 'data' list, got {str(body)[:80]!r}"
            )
        bad = next((i for i, item in enumerate(body["data"]) if not isinstance(item, dict)), None)
        if bad is not None:
            raise self.reject(
                batch, f"page {page} item {bad + 1}: expected an object, got {body['data'][bad]!r}"
            )
        cursor = body.get("next_cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise self.reject(batch, f"page {page}: next_cursor={cursor!r} is not a string")
        return body["data"], cursor or None

    def check(self, ctx: RunContext, params: CorporateActionsParams, frame: pd.DataFrame) -> str | None:
        dividend = frame["event_type"] == "DIVIDEND"
        needs_ratio = frame["event_type"].isin(("SPLIT", "BONUS", "RIGHTS"))
        return (
            not_business_date(frame, "ex_date", ctx.business_date)
            or first_violation(
                frame, dividend & frame["amount"].isna(), "amount", "is required for a DIVIDEND"
            )
            or first_violation(
                frame, dividend & frame["currency"].isna(), "currency", "is required for a DIVIDEND"
            )
            or first_violation(
                frame, needs_ratio & frame["ratio"].isna(), "ratio", "is required for this type"
            )
        )
