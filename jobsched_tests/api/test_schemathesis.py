"""Schemathesis over /openapi.json, in-process against the real app on populated SQLite and Postgres
databases: valid and invalid inputs for every operation, and none may answer 5xx.

(schemathesis' pytest fixture loader does not work with pytest 9, so each operation is driven through
Hypothesis here; the strategies, the calls and the check are schemathesis'.)"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from jobsched.api.app import create_app
from jobsched.api.auth import AuthSettings
from jobsched_tests.api.conftest import AUTH, NYSE_CLOSE, TOKEN, empty, make_client, ok

MAX_EXAMPLES = int(os.environ.get("JOBSCHED_SCHEMATHESIS_EXAMPLES", "10"))
_PATHS = create_app("sqlite://").openapi()["paths"]
# (path, method, mode): invalid-input generation only where the operation takes inputs.
CASES = sorted(
    (path, method.upper(), mode)
    for path, methods in _PATHS.items()
    for method, spec in methods.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or spec.get("parameters") or spec.get("requestBody")
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_api_url" if request.param == "sqlite" else "postgres_api_url")


@pytest.fixture(scope="module")
def app(database_url: str) -> FastAPI:
    """Rows for the generated requests to reach (a job, a schedule with a ledger entry, a custom calendar)."""
    empty(database_url)
    with make_client(database_url) as client:
        ok(
            client.post("/jobs", json={"job_key": "eod_prices_job", "adapter": "demo_echo"}, headers=AUTH),
            201,
        )
        schedule = ok(client.post("/schedules", json=NYSE_CLOSE, headers=AUTH), 201)
        ok(client.post(f"/schedules/{schedule['id']}/trigger", headers=AUTH), 202)
        ok(client.post("/calendars", json={"name": "ops", "base": "XNYS"}, headers=AUTH), 201)
        override = {"day": "2026-12-24", "kind": "holiday", "reason": "closed"}
        ok(client.post("/calendars/ops/overrides", json=override, headers=AUTH), 201)
    return create_app(database_url, auth=AuthSettings(TOKEN, open_reads=True))


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("path", "method", "mode"), CASES, ids=[f"{m} {p} {g.value}" for p, m, g in CASES])
def test_no_server_errors(api_schema: Any, path: str, method: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]
    server_errors: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case: Any) -> None:
        response = case.call(headers=AUTH)
        if path == "/health" and response.status_code == 503 and response.json()["ok"] is False:
            return  # unhealthy is the documented answer (no engine tick in this test), not a server error
        if response.status_code >= 500:
            server_errors.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
            )
        case.validate_response(response, checks=[not_a_server_error])

    run()
    assert not server_errors
