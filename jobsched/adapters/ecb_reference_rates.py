"""ecb_reference_rates: the ECB's euro reference rates in its own XML layout (the daily file or the 90-day
history) over HTTP -> ecb_reference_rates: the business date's Cube only, the rate per EUR and its
inverse.

Not yet published (the daily file still holds an earlier day) is a retryable source error; a TARGET closing
day inside the history file is a non-retryable one; anything not in the ECB layout is rejected."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from lxml import etree

from jobsched.adapters.base import BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.errors import SourceError
from jobsched.adapters.parsing import first_violation
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import UrlTemplate, get, session_for
from jobsched.adapters.warehouse import slice_table

GESMES = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
NS = {"g": GESMES, "e": EUROFXREF}

ecb_reference_rates = slice_table(
    "ecb_reference_rates",
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("rate_per_eur", sa.Float, nullable=False),
    sa.Column("eur_per_unit", sa.Float, nullable=False),
    key=("currency",),
)


@register("ecb_reference_rates")
class EcbReferenceRates(BaseAdapter):
    Params = UrlTemplate
    description = "ECB euro reference rates (daily or 90-day history XML over HTTP) -> ecb_reference_rates."
    table = ecb_reference_rates
    source_kind = "http"
    upstream = ("ecb_reference_rates",)
    columns = (
        Col("currency", "currency", pattern=r"[A-Z]{3}"),
        Col("rate", "rate_per_eur", kind="float", min_value=0),
    )
    natural_key = ("currency",)

    def read(self, ctx: RunContext, params: UrlTemplate) -> SourceBatch:
        url = params.url.format(date=ctx.business_date, account="")
        with session_for(params) as session:
            response = get(session, url, params, ctx.log)
        batch = SourceBatch(pd.DataFrame(columns=["currency", "rate"]), source=url)
        try:
            root = etree.fromstring(response.content, parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            raise self.reject(batch, f"payload is not well-formed XML: {exc}") from None
        sender = root.findtext("g:Sender/g:name", None, NS)
        if root.tag != f"{{{GESMES}}}Envelope" or sender != "European Central Bank":
            raise self.reject(batch, f"not the ECB layout: root {root.tag!r}, sender {sender!r}")
        days = {cube.get("time"): cube for cube in root.iterfind("e:Cube/e:Cube[@time]", NS)}
        if not days:
            raise self.reject(batch, "element 'Cube[@time]': none found; the file holds no publication")
        wanted = ctx.business_date.isoformat()
        newest, oldest = max(days), min(days)
        if wanted not in days:
            if wanted > newest:
                raise SourceError(url, f"the rates for {wanted} are not published yet (newest: {newest})")
            reason = (
                "a TARGET closing day: the ECB publishes nothing"
                if wanted >= oldest
                else "older than the file"
            )
            raise SourceError(url, f"no rates for {wanted} in {oldest}..{newest}: {reason}", retryable=False)
        rates = [
            {"currency": c.get("currency"), "rate": c.get("rate")}
            for c in days[wanted].iterfind("e:Cube", NS)
        ]
        batch.frame = pd.DataFrame(rates, columns=["currency", "rate"], dtype=object)
        batch.extra["publications_in_file"] = len(days)
        return batch

    def check(self, ctx: RunContext, params: UrlTemplate, frame: pd.DataFrame) -> str | None:
        return first_violation(
            frame, frame["rate_per_eur"] <= 0, "rate_per_eur", "is not a positive rate", "rate"
        )

    def load(self, ctx: RunContext, params: UrlTemplate, frame: pd.DataFrame) -> int:
        return super().load(ctx, params, frame.assign(eur_per_unit=1 / frame["rate_per_eur"]))
