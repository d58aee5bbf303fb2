"""Hostile requests: each answers a 4xx naming field and value (quoting at most a prefix), never a 5xx, a
half-written row or a leaked secret."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobsched_tests.api.conftest import AUTH, make_client, ok


def _problem(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    return response.json()["problems"][0]


@pytest.mark.parametrize("key", ["prix_€", "a/b", "bad\r\nkey", " padded", "x" * 101, "-dash-first"])
def test_keys_outside_the_charset_are_refused_and_nothing_is_written(
    sqlite_client: TestClient, key: str
) -> None:
    found = _problem(sqlite_client.post("/jobs", json={"job_key": key, "adapter": "demo_echo"}, headers=AUTH))
    assert found["field"] == "job_key"
    assert ok(sqlite_client.get("/jobs")) == []
    body = {"name": key, "job_key": "j", "cron": "0 1 * * *"}
    assert _problem(sqlite_client.post("/schedules", json=body, headers=AUTH))["field"] == "name"
    assert _problem(sqlite_client.post("/calendars", json={"name": key}, headers=AUTH))["field"] == "name"


def test_unknown_query_parameters_are_refused_and_nothing_is_deleted(sqlite_client: TestClient) -> None:
    assert sqlite_client.post("/jobs", json={"job_key": "q", "adapter": "demo_echo"}, headers=AUTH).is_success
    found = _problem(sqlite_client.delete("/jobs/q?verison=1", headers=AUTH))
    assert (found["field"], found["value"]) == ("verison", "1") and "query" in found["message"]
    assert ok(sqlite_client.get("/jobs/q"))["job_key"] == "q"
    assert _problem(sqlite_client.get("/schedules?limt=5"))["field"] == "limt"
    assert sqlite_client.get("/schedules?limit=5").status_code == 200


def test_created_key_is_in_location(sqlite_client: TestClient) -> None:
    created = sqlite_client.post("/jobs", json={"job_key": "a.b-c_1", "adapter": "demo_echo"}, headers=AUTH)
    assert created.status_code == 201 and created.headers["location"] == "/jobs/a.b-c_1"
    assert ok(sqlite_client.get("/jobs/a.b-c_1"))["job_key"] == "a.b-c_1"


@pytest.mark.parametrize(
    ("path", "auth"), [("/schedules/preview", False), ("/jobs", True), ("/schedules", True)]
)
def test_deep_json_is_refused(sqlite_client: TestClient, path: str, auth: bool) -> None:
    body = '{"params": ' + "[" * 490 + "]" * 490 + "}"
    response = sqlite_client.post(
        path, content=body, headers={"content-type": "application/json", **(AUTH if auth else {})}
    )
    assert response.status_code == 422 and "nested" in response.json()["message"]


def test_body_size_limit_and_long_values_quoted_as_a_prefix(sqlite_client: TestClient) -> None:
    big = sqlite_client.post(
        "/schedules/preview",
        content=b'{"cron": "' + b"x" * 5_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413 and len(big.content) < 1000
    long_name = sqlite_client.post(
        "/jobs", json={"job_key": "k" * 10_000, "adapter": "demo_echo"}, headers=AUTH
    )
    assert long_name.status_code == 422 and len(long_name.content) < 2000


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"job_key": "j", "adapter": "demo_echo",}', "not valid JSON"),
        ('{"job_key": "j", "adapter": "demo_echo", "params": {"timeout_seconds": Infinity}}', "Infinity"),
        ('{"job_key": "j", "adapter": "demo_echo", "params": {"x": NaN}}', "NaN"),
    ],
)
def test_malformed_json_names_the_body(sqlite_client: TestClient, body: str, words: str) -> None:
    response = sqlite_client.post("/jobs", content=body, headers={"content-type": "application/json", **AUTH})
    assert response.status_code == 422 and words in response.json()["message"]
    assert response.json()["problems"][0]["field"] == "body"


@pytest.mark.parametrize(
    "url", ["http://x/{date.foo}", "http://x/{date[0]}", "http://x/{date!r:>{9}}", "http://x/{"]
)
def test_url_templates_with_lookups_are_refused(sqlite_client: TestClient, url: str) -> None:
    body = {"job_key": "eod", "adapter": "eod_prices", "params": {"url": url}}
    found = _problem(sqlite_client.post("/jobs", json=body, headers=AUTH))
    assert found["field"].startswith("params") and "Value error" not in found["message"]


@pytest.mark.parametrize("business_date", ["9999-12-31", "0001-01-01", 0, "2200-01-01"])
def test_trigger_dates_outside_the_range_are_refused(sqlite_client: TestClient, business_date: Any) -> None:
    ok(sqlite_client.post("/jobs", json={"job_key": "j", "adapter": "demo_echo"}, headers=AUTH), 201)
    made = ok(
        sqlite_client.post(
            "/schedules", json={"name": "s", "job_key": "j", "cron": "0 1 * * *"}, headers=AUTH
        ),
        201,
    )
    found = _problem(
        sqlite_client.post(
            f"/schedules/{made['id']}/trigger", json={"business_date": business_date}, headers=AUTH
        )
    )
    assert found["field"] == "business_date"
    assert ok(sqlite_client.get(f"/schedules/{made['id']}/fires"))["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "c", "open_time": "17:00", "close_time": "09:00"}, "close_time"),
        ({"name": "c", "timezone": "localtime"}, "timezone"),
        ({"name": "c", "timezone": "Factory"}, "timezone"),
    ],
)
def test_calendar_sessions_and_zones(sqlite_client: TestClient, body: dict[str, Any], field: str) -> None:
    assert _problem(sqlite_client.post("/calendars", json=body, headers=AUTH))["field"] == field


def test_override_closing_before_it_opens(sqlite_client: TestClient) -> None:
    ok(sqlite_client.post("/calendars", json={"name": "c"}, headers=AUTH), 201)
    override = {
        "day": "2030-01-02",
        "kind": "session",
        "reason": "x",
        "open_time": "12:00",
        "close_time": "09:00",
    }
    assert (
        _problem(sqlite_client.post("/calendars/c/overrides", json=override, headers=AUTH))["field"]
        == "close_time"
    )


def test_credentials_are_redacted_on_every_read(sqlite_client: TestClient) -> None:
    from jobsched.service.redact import redact

    params = {
        "dsn": "postgresql://admin:S3cr3t@db.internal/trades",
        "url": "https://user:pw@host/x?apikey=K3Y&date=1",
        "nested": {"password": "hunter2", "api_key": "abc", "token_env": "MY_TOKEN"},
    }
    shown = redact(params)
    text = str(shown)
    for secret in ("S3cr3t", "pw@", "K3Y", "hunter2", "'abc'"):
        assert secret not in text, text
    assert shown["nested"]["token_env"] == "MY_TOKEN" and "admin" in shown["dsn"] and "date=1" in shown["url"]


def test_health_shows_details_only_to_readers(sqlite_url_only: str) -> None:
    closed = make_client(sqlite_url_only, open_reads=False)
    anonymous = closed.get("/health").json()
    assert set(anonymous) == {"ok", "checked_at"}
    assert "database" in closed.get("/health", headers=AUTH).json()


def test_html_pages_send_security_headers(sqlite_client: TestClient) -> None:
    for path in ("/", "/docs"):
        response = sqlite_client.get(path)
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_lists_are_paged_and_filtered(sqlite_client: TestClient) -> None:
    for key in ("a1", "a2", "a3"):
        ok(sqlite_client.post("/jobs", json={"job_key": key, "adapter": "demo_echo"}, headers=AUTH), 201)
    first = sqlite_client.get("/jobs?limit=2")
    assert [j["job_key"] for j in first.json()] == ["a1", "a2"] and first.headers["x-next-offset"] == "2"
    last = sqlite_client.get("/jobs?limit=2&offset=2")
    assert [j["job_key"] for j in last.json()] == ["a3"] and "x-next-offset" not in last.headers
    assert ok(sqlite_client.get("/jobs?adapter=nope")) == []
    schema = sqlite_client.get("/openapi.json").json()
    listing = schema["paths"]["/jobs"]["get"]
    assert "X-Next-Offset" in listing["responses"]["200"]["headers"]
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "offset", "adapter", "enabled"}
    assert "security" not in listing and "security" in schema["paths"]["/jobs"]["post"]
    assert listing["operationId"] == "list_jobs"
