"""Writes need the bearer token; with none configured the API refuses writes and says how to set one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jobsched_tests.api.conftest import AUTH, TOKEN, make_client

JOB = {"job_key": "j", "adapter": "demo_echo"}


def test_no_token_configured_refuses_writes_and_explains(sqlite_url_only: str) -> None:
    with make_client(sqlite_url_only, token=None) as client:
        refused = client.post("/jobs", json=JOB, headers=AUTH)
        assert refused.status_code == 403
        assert "JOBSCHED_API_TOKEN" in refused.json()["message"]
        assert client.get("/jobs").status_code == 200  # reads stay open by default


def test_missing_and_wrong_token(sqlite_client: TestClient) -> None:
    missing = sqlite_client.post("/jobs", json=JOB)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = sqlite_client.post("/jobs", json=JOB, headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 401
    assert (
        sqlite_client.post("/jobs", json=JOB, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    )
    assert sqlite_client.post("/jobs", json=JOB, headers=AUTH).status_code == 201


def test_closed_reads(sqlite_url_only: str) -> None:
    with make_client(sqlite_url_only, open_reads=False) as client:
        assert client.get("/schedules").status_code == 401
        assert client.get("/schedules", headers=AUTH).status_code == 200
        assert client.get("/health").status_code in (200, 503)  # probes need no token


def test_settings_from_environment(monkeypatch, sqlite_url_only: str) -> None:  # noqa: ANN001
    from jobsched.api.app import create_app

    monkeypatch.setenv("JOBSCHED_API_TOKEN", "from-env")
    monkeypatch.setenv("JOBSCHED_API_OPEN_READS", "false")
    with TestClient(create_app(sqlite_url_only)) as client:
        assert client.get("/jobs").status_code == 401
        assert client.get("/jobs", headers={"Authorization": "Bearer from-env"}).status_code == 200
