"""fund_nav against the sample server's paginated NAV API behind an OAuth2 client-credentials token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected, InvalidParams, SourceError, validate_params
from jobsched.samples.feeds import fund_nav_page, fund_navs
from jobsched_tests.adapters.contract import AdapterContract
from jobsched_tests.adapters.sample_source import SampleSource

NAVS = len(fund_navs(__import__("datetime").date(2026, 11, 20)))


class TestFundNav(AdapterContract):
    adapter = "fund_nav"
    fault_path = "/funds/v1/"
    malformed_error = "column 'nav' row 2: value 'abc' is not a valid number >= 0"

    @pytest.fixture(autouse=True)
    def _client(self, monkeypatch) -> None:
        monkeypatch.setenv("TEST_NAV_CLIENT_ID", "jobsched-demo")
        monkeypatch.setenv("TEST_NAV_CLIENT_SECRET", "demo-secret")

    def params(self, src: SampleSource, data_dir: Path) -> dict[str, Any]:
        return {
            "url": src.url + "/funds/v1/nav",
            "token_url": src.url + "/oauth/token",
            "client_id_env": "TEST_NAV_CLIENT_ID",
            "client_secret_env": "TEST_NAV_CLIENT_SECRET",
            "page_size": 20,
            "backoff_seconds": 0.01,
        }

    def single_page(self, **changes: Any) -> dict[str, Any]:
        page = fund_nav_page(self.business_date, 1, 100)
        return page | changes

    def deliver_malformed(self, src: SampleSource, data_dir: Path, params: dict[str, Any]) -> None:
        page = self.single_page()
        page["data"][1]["nav"] = "abc"
        src.override("/funds/v1/nav", json.dumps(page))

    def test_every_page_is_followed(self, src, warehouse, jobsched_env) -> None:
        report = self.run(self.params(src, jobsched_env) | {"page_size": 10}, warehouse, self.job_key())
        assert report.rows_loaded == NAVS == 57 and report.extra["pages"] == 6
        assert src.hits("/funds/v1/nav") == 6 and src.hits("/oauth/token") == 1

    def test_a_wrong_client_secret_is_not_retried_and_not_shown(
        self, src, warehouse, jobsched_env, monkeypatch
    ) -> None:
        monkeypatch.setenv("TEST_NAV_CLIENT_SECRET", "wrong-secret")
        with pytest.raises(SourceError, match=r"token request refused: HTTP 401 invalid_client") as caught:
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())
        assert not caught.value.retryable and "wrong-secret" not in str(caught.value)

    def test_the_token_endpoint_is_retried_on_503(self, src, warehouse, jobsched_env) -> None:
        src.fault("/oauth/token", status=503, count=1)
        assert self.run(self.params(src, jobsched_env), warehouse, self.job_key()).rows_loaded == NAVS
        assert src.hits("/oauth/token") == 2

    def test_an_expired_token_is_renewed_and_the_page_asked_again(self, src, warehouse, jobsched_env) -> None:
        """Tokens that stop working after 2 calls: 6 pages need 3 tokens; no page is lost or doubled."""
        import requests

        requests.post(src.url + "/_control/token_uses", json={"uses": 2}, timeout=5).raise_for_status()
        report = self.run(self.params(src, jobsched_env) | {"page_size": 10}, warehouse, self.job_key())
        assert report.rows_loaded == NAVS and report.extra["pages"] == 6
        assert src.hits("/oauth/token") == 3 and src.hits("/funds/v1/nav") == 6 + 2  # two 401s

    def test_a_short_result_is_rejected(self, src, warehouse, jobsched_env) -> None:
        src.override("/funds/v1/nav", json.dumps(self.single_page(total=60)))
        with pytest.raises(BatchRejected, match=r"announced total=60 NAVs but 1 page\(s\) held 57"):
            self.run(self.params(src, jobsched_env), warehouse, self.job_key())

    def test_secrets_are_named_not_given(self, src, jobsched_env) -> None:
        with pytest.raises(InvalidParams, match=r"client_secret=.*unknown parameter"):
            validate_params(self.adapter, self.params(src, jobsched_env) | {"client_secret": "x"})
