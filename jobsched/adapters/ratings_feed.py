"""ratings_feed: a rating agency vendor's fixed-width daily file from a drop folder -> credit_ratings.

Layout: a header record (H, vendor, file date), detail records (D + the fields of RATING_LAYOUT) and a
trailer (T + record count). A file without its trailer, or whose count disagrees, is incomplete: rejected.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator

from jobsched.adapters.base import RunContext, SourceBatch
from jobsched.adapters.columns import Col
from jobsched.adapters.dropfolder import DropFolderAdapter, DropFolderParams
from jobsched.adapters.registry import register
from jobsched.adapters.sources.http import check_template
from jobsched.adapters.warehouse import slice_table

#: (field, width) of a detail record after its record type 'D'.
LAYOUT: tuple[tuple[str, int], ...] = (
    ("isin", 12), ("issuer_id", 10), ("issuer_name", 40), ("agency", 8), ("rating", 6), ("outlook", 10),
    ("watch", 1), ("action", 12), ("rating_date", 8),
)  # fmt: skip
RECORD = 1 + sum(width for _, width in LAYOUT)
RATING = (
    r"AAA|AA[+-]?|A[+-]?|BBB[+-]?|BB[+-]?|B[+-]?|CCC[+-]?|CC|C|D|SD|"
    r"Aaa|Aa[123]|A[123]|Baa[123]|Ba[123]|B[123]|Caa[123]|Ca|NR|WD"
)

credit_ratings = slice_table(
    "credit_ratings",
    sa.Column("isin", sa.String(12), nullable=False),
    sa.Column("agency", sa.String(8), nullable=False),
    sa.Column("issuer_id", sa.String(10), nullable=False),
    sa.Column("issuer_name", sa.String(40)),
    sa.Column("rating", sa.String(6), nullable=False),
    sa.Column("outlook", sa.String(10)),
    sa.Column("watch", sa.String(1), nullable=False),
    sa.Column("action", sa.String(12), nullable=False),
    sa.Column("rating_date", sa.Date, nullable=False),
    key=("isin", "agency"),
)


class RatingsFeedParams(DropFolderParams):
    vendor: str = Field(pattern=r"^[A-Z0-9_]{1,10}$", description="vendor code of the header record")
    pattern: str = Field(
        "ratings_{account}_{date:%Y%m%d}.dat", description="file name (glob); {account}=vendor"
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_template(value, account="")


@register("ratings_feed")
class RatingsFeed(DropFolderAdapter):
    Params = RatingsFeedParams
    description = "Credit ratings, a vendor's fixed-width file from a drop folder -> credit_ratings."
    table = credit_ratings
    upstream = ("ratings_vendor_files",)
    columns = (
        Col("isin", "isin", pattern=r"[A-Z]{2}[A-Z0-9]{9}[0-9]"),
        Col("issuer_id", "issuer_id"),
        Col("issuer_name", "issuer_name", required=False),
        Col("agency", "agency", choices=("SP", "MOODYS", "FITCH", "DBRS")),
        Col("rating", "rating", pattern=RATING),
        Col("outlook", "outlook", required=False, choices=("STABLE", "POSITIVE", "NEGATIVE", "DEVELOPING")),
        Col("watch", "watch", choices=("Y", "N")),
        Col("action", "action", choices=("AFFIRMED", "UPGRADE", "DOWNGRADE", "NEW", "WITHDRAWN")),
        Col("rating_date", "rating_date", kind="date", date_format="%Y%m%d"),
    )
    natural_key = ("isin", "agency")

    def read(self, ctx: RunContext, params: RatingsFeedParams) -> SourceBatch:
        name = params.pattern.format(account=params.vendor, date=ctx.business_date)
        path, extra = self.locate(ctx, params, name)
        batch = SourceBatch(pd.DataFrame(columns=[n for n, _ in LAYOUT]), source=str(path), extra=extra)
        lines = path.read_bytes().decode("latin-1").splitlines()
        lines = [line for line in lines if line.strip()]
        if not lines or not lines[0].startswith("H"):
            raise self.reject(batch, "record 1: no header record (H...): not a ratings file")
        vendor, file_date = lines[0][1:11].strip(), lines[0][11:19]
        if vendor != params.vendor:
            raise self.reject(batch, f"header field 'vendor': value {vendor!r} is not {params.vendor!r}")
        if file_date != f"{ctx.business_date:%Y%m%d}":
            raise self.reject(
                batch,
                f"header field 'file_date': value {file_date!r} is not the business date "
                f"{ctx.business_date:%Y%m%d}",
            )
        if not lines[-1].startswith("T"):
            raise self.reject(
                batch, f"no trailer record (T...) after {len(lines)} records: the file is incomplete"
            )
        details = lines[1:-1]
        count = lines[-1][1:10]
        if not count.isdigit() or int(count) != len(details):
            raise self.reject(
                batch,
                f"trailer field 'record_count': value {count!r} but the file holds {len(details)} detail "
                "records: the file is incomplete or corrupt",
            )
        rows = []
        for number, line in enumerate(details, start=1):
            if not line.startswith("D") or len(line.rstrip("\n")) not in range(RECORD - 20, RECORD + 1):
                raise self.reject(
                    batch,
                    f"row {number}: record {line[:20]!r}... is not a detail record of {RECORD} characters",
                )
            line = line.ljust(RECORD)
            values, start = {}, 1
            for field, width in LAYOUT:
                values[field] = line[start : start + width].strip()
                start += width
            rows.append(values)
        batch.frame = pd.DataFrame(rows, columns=[n for n, _ in LAYOUT], dtype=object)
        batch.extra["vendor"] = vendor
        return batch
