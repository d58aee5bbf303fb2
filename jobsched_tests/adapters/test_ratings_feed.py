"""ratings_feed: a vendor's fixed-width file (header, detail records, trailer with the record count)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected
from jobsched.samples.feeds import ratings_fixed_width
from jobsched_tests.adapters.dropfolder_contract import DropFolderContract


class TestRatingsFeed(DropFolderContract):
    adapter = "ratings_feed"
    malformed_error = "column 'rating' row 4: value 'AAAA' is not a valid rating (pattern"
    truncated_error = "no trailer record"
    rows = 30

    def extra_params(self) -> dict[str, Any]:
        return {"vendor": "RATINGCO"}

    def file_name(self) -> str:
        return f"ratings_RATINGCO_{self.business_date:%Y%m%d}.dat"

    def content(self) -> bytes:
        return ratings_fixed_width(self.business_date).encode()

    def deliver_malformed(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        lines = ratings_fixed_width(self.business_date).splitlines()
        start = 1 + 12 + 10 + 40 + 8  # the rating field of detail record 4
        lines[4] = lines[4][:start] + "AAAA  " + lines[4][start + 6 :]
        self.inbox_file(params).write_text("\n".join(lines) + "\n")

    def test_a_trailer_count_that_disagrees_is_rejected(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env)
        lines = ratings_fixed_width(self.business_date).splitlines()
        del lines[7]  # a record lost in transit; the trailer still says 30
        self.inbox_file(params).write_text("\n".join(lines) + "\n")
        with pytest.raises(
            BatchRejected, match=r"trailer field 'record_count': value '000000030' but the file holds 29"
        ):
            self.run(params, warehouse, self.job_key())

    def test_a_file_for_another_day_is_rejected(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env)
        self.inbox_file(params).write_text(ratings_fixed_width(self.business_date.replace(day=19)))
        with pytest.raises(
            BatchRejected, match=r"header field 'file_date': value '20261119' is not the business date"
        ):
            self.run(params, warehouse, self.job_key())
