"""fund_nav: fund administrators' daily NAVs from a paginated REST API (JSON) authorised by OAuth2 client
credentials -> fund_nav. Pages are followed by their `links.next`; the total the API announces must arrive."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pandas as pd
import requests
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.errors import SourceError
from jobsched.adapters.parsing import first_violation, not_business_date
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import get, session_for
from jobsched.adapters.sources.oauth import OAuthClientParams, fetch_token
from jobsched.adapters.warehouse import slice_table

FIELDS = ["fund_id", "share_class", "isin", "name", "currency", "nav_date", "nav", "units_outstanding",
          "total_net_assets"]  # fmt: skip

fund_nav = slice_table(
    "fund_nav",
    sa.Column("fund_id", sa.String(20), nullable=False),
    sa.Column("share_class", sa.String(10), nullable=False),
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("nav", sa.Float, nullable=False),
    sa.Column("units_outstanding", sa.BigInteger, nullable=False),
    sa.Column("total_net_assets", sa.Float, nullable=False),
    key=("isin",),
)


class FundNavParams(OAuthClientParams):
    url: str = Field(description="the NAV endpoint, e.g. http://host/funds/v1/nav")
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(1000, ge=1, description="stop (and fail) past this many pages")

    @field_validator("url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


@register("fund_nav")
class FundNav(BaseAdapter):
    Params = FundNavParams
    description = "Fund NAVs from a paginated REST API with OAuth2 client credentials -> fund_nav."
    table = fund_nav
    source_kind = "http"
    upstream = ("fund_admin_api",)
    columns = (
        Col("fund_id", "fund_id"),
        Col("share_class", "share_class"),
        Col("isin", "isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]"),
        Col("name", "name", required=False),
        Col("currency", "currency", pattern=r"[A-Z]{3}"),
        Col("nav_date", "nav_date", kind="date"),
        Col("nav", "nav", kind="float", min_value=0),
        Col("units_outstanding", "units_outstanding", kind="int", min_value=0),
        Col("total_net_assets", "total_net_assets", kind="float", min_value=0),
    )
    natural_key = ("isin",)

    def read(self, ctx: RunContext, params: FundNavParams) -> SourceBatch:
        batch = SourceBatch(pd.DataFrame(columns=FIELDS), source=params.url)
        rows: list[dict[str, Any]] = []
        total: int | None = None
        query: dict[str, Any] | None = {"date": ctx.business_date.isoformat(), "page_size": params.page_size}
        url: str | None = params.url
        pages = 0
        with session_for(params) as session:
            token = fetch_token(params, ctx.log)
            while url is not None:
                pages += 1
                if pages > params.max_pages:
                    raise SourceError(
                        params.url, f"more than max_pages={params.max_pages} pages", retryable=False
                    )
                body = self._page(session, url, query, params, ctx, token)
                if body is None:  # the token expired mid-way: one new token, then the same page again
                    ctx.log.warning(f"{url}: HTTP 401 on page {pages}; renewing the OAuth2 token")
                    token = fetch_token(params, ctx.log)
                    body = self._page(session, url, query, params, ctx, token, last_try=True) or {}
                data = body.get("data")
                if not isinstance(data, list):
                    raise self.reject(batch, f"page {pages}: no 'data' list in the response")
                rows.extend(item if isinstance(item, dict) else {"fund_id": repr(item)} for item in data)
                total = body.get("total", total)
                nxt = (body.get("links") or {}).get("next")
                url, query = (urljoin(url, nxt), None) if nxt else (None, None)
        if isinstance(total, int) and total != len(rows):
            raise self.reject(
                batch, f"the API announced total={total} NAVs but {pages} page(s) held {len(rows)}"
            )
        batch.frame = pd.DataFrame([{k: _text(row.get(k)) for k in FIELDS} for row in rows], columns=FIELDS)
        batch.extra["pages"] = pages
        return batch

    def _page(
        self,
        session: requests.Session,
        url: str,
        query: dict[str, Any] | None,
        params: FundNavParams,
        ctx: RunContext,
        token: str,
        last_try: bool = False,
    ) -> dict[str, Any] | None:
        session.headers["Authorization"] = f"Bearer {token}"
        try:
            response = get(session, url, params, ctx.log, query=query)
        except SourceError as exc:
            if not last_try and "HTTP 401" in exc.reason:
                return None
            raise
        try:
            body = response.json()
        except ValueError:
            raise self.reject(
                SourceBatch(pd.DataFrame(), source=url), f"response is not JSON: {response.text[:80]!r}"
            ) from None
        if not isinstance(body, dict):
            raise self.reject(SourceBatch(pd.DataFrame(), source=url), "response is not a JSON object")
        return body

    def check(self, ctx: RunContext, params: FundNavParams, frame: pd.DataFrame) -> str | None:
        off = (frame["nav"] * frame["units_outstanding"] - frame["total_net_assets"]).abs() > (
            0.001 * frame["total_net_assets"] + 1
        )
        return not_business_date(frame, "nav_date", ctx.business_date) or first_violation(
            frame, off, "total_net_assets", "is not nav x units_outstanding"
        )

    def load(self, ctx: RunContext, params: FundNavParams, frame: pd.DataFrame) -> int:
        return super().load(ctx, params, frame.drop(columns=["nav_date"]))


def _text(value: Any) -> Any:
    return None if value is None else str(value)
