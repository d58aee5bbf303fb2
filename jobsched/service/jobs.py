"""Job definitions: what runs (adapter + parameters). Checked against the adapter registry on every write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from jobsched.domain.validation import MAX_JSON_DEPTH, json_depth
from jobsched.engine import check_job_definition
from jobsched.service.common import Page, check_key, guarded_update, require_version
from jobsched.service.errors import Conflict, Invalid, NotFound, Problem, problems_from_validation
from jobsched.service.models import JobInput, JobOut
from jobsched.service.redact import redact, redact_text
from jobsched.store.decode import read_rows, readable
from jobsched.store.repository import JobDefinition, job_definition_from_row
from jobsched.store.schema import job_definitions, schedules

KIND = "job definition"
MAX_PARAMS_CHARS = 100_000


def list_jobs(
    engine: sa.Engine, page: Page | None = None, adapter: str | None = None, enabled: bool | None = None
) -> list[JobOut]:
    with engine.connect() as conn:
        rows = read_rows(conn, job_definitions, order_by=job_definitions.c.job_key)
        users = _users(conn)
    found = [
        row
        for row in rows
        if (adapter is None or row["adapter"] == adapter) and (enabled is None or row["enabled"] is enabled)
    ]
    return [_out(row, users.get(row["job_key"], [])) for row in (page or Page()).take(found)]


def get_job(engine: sa.Engine, job_key: str) -> JobOut:
    with engine.connect() as conn:
        row = _find(conn, job_key)
        return _out(row, _users(conn).get(job_key, []))


def create_job(engine: sa.Engine, data: Mapping[str, Any]) -> JobOut:
    job = validate_job(data)
    with engine.begin() as conn:
        if conn.execute(
            sa.select(job_definitions.c.id).where(job_definitions.c.job_key == job.job_key)
        ).first():
            raise Conflict(f"job_key={job.job_key!r}: a job definition with this key already exists")
        conn.execute(sa.insert(job_definitions).values(**_columns(job)))
    return get_job(engine, job.job_key)


def update_job(
    engine: sa.Engine, job_key: str, patch: Mapping[str, Any], expected_version: int | None
) -> JobOut:
    with engine.begin() as conn:
        row = _find(conn, job_key)
        require_version(KIND, job_key, row["version"], expected_version)
        current = {"job_key": row["job_key"], "adapter": row["adapter"], "params": _params_or_raw(row)}
        current |= {"description": row["description"], "enabled": row["enabled"]}
        current |= {"max_runtime_seconds": row["max_runtime_seconds"], "deadline": row.get("deadline")}
        job = validate_job(current | dict(patch))
        if job.job_key != job_key:
            _refuse_if_used(conn, job_key, f"rename it to {job.job_key!r}")
            if conn.execute(
                sa.select(job_definitions.c.id).where(job_definitions.c.job_key == job.job_key)
            ).first():
                raise Conflict(f"job_key={job.job_key!r}: a job definition with this key already exists")
        guarded_update(conn, job_definitions, row, _columns(job), KIND, job_key)
    return get_job(engine, job.job_key)


def delete_job(engine: sa.Engine, job_key: str, expected_version: int | None) -> None:
    with engine.begin() as conn:
        row = _find(conn, job_key)
        require_version(KIND, job_key, row["version"], expected_version)
        _refuse_if_used(conn, job_key, "delete it")
        conn.execute(
            sa.delete(job_definitions).where(
                job_definitions.c.id == row["id"], job_definitions.c.version == row["version"]
            )
        )


def validate_job(data: Mapping[str, Any]) -> JobDefinition:
    """Field checks (pydantic), then the adapter registry: unknown adapter, parameters failing its model."""
    try:
        fields = JobInput.model_validate(dict(data))
    except ValidationError as exc:
        raise Invalid(problems_from_validation(exc, dict(data)), KIND) from None
    try:
        text = json.dumps(fields.params)
    except (TypeError, ValueError) as exc:
        raise Invalid.one("params", str(fields.params)[:200], f"not JSON-serialisable: {exc}", KIND) from None
    if len(text) > MAX_PARAMS_CHARS:
        raise Invalid.one(
            "params", text[:80] + "...", f"more than {MAX_PARAMS_CHARS} characters of JSON", KIND
        )
    job = JobDefinition(
        fields.job_key,
        fields.adapter,
        fields.params,
        fields.description,
        fields.enabled,
        max_runtime_seconds=fields.max_runtime_seconds,
        deadline=fields.deadline,
    )
    _check_adapter(job)
    return job


def _check_adapter(job: JobDefinition) -> None:
    from jobsched.adapters.errors import InvalidParams, UnknownAdapter
    from jobsched.adapters.registry import get_adapter, validate_params

    try:
        get_adapter(job.adapter)
    except UnknownAdapter as exc:
        raise Invalid.one("adapter", job.adapter, str(exc).split(": ", 1)[-1], KIND) from None
    try:
        validate_params(job.adapter, job.params)
    except InvalidParams as exc:
        problems = [
            Problem(f"params.{field}", value, str(message).removeprefix("Value error, "))
            for field, value, message in exc.problems
        ]
        raise Invalid(problems or [Problem("params", job.params, str(exc))], KIND) from None
    try:
        check_job_definition(job)  # the engine's own acceptance check, whatever else it grows to test
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        raise Invalid.one(field.split("=")[0] or "params", job.params, message or str(exc), KIND) from None


def _columns(job: JobDefinition) -> dict[str, Any]:
    return {
        "job_key": job.job_key,
        "adapter": job.adapter,
        "params": json.dumps(job.params, sort_keys=True),
        "description": job.description,
        "enabled": job.enabled,
        "max_runtime_seconds": job.max_runtime_seconds,
        "deadline": job.deadline,
    }


def _find(conn: sa.Connection, job_key: str) -> dict[str, Any]:
    check_key(KIND, job_key, 100)
    rows = read_rows(conn, job_definitions, job_definitions.c.job_key == job_key)
    if not rows:
        raise NotFound(KIND, job_key)
    return rows[0]


def _users(conn: sa.Connection) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for job_key, name in conn.execute(
        sa.select(schedules.c.job_key, schedules.c.name).order_by(schedules.c.name)
    ):
        users.setdefault(job_key, []).append(name)
    return users


def _refuse_if_used(conn: sa.Connection, job_key: str, action: str) -> None:
    names = _users(conn).get(job_key, [])
    if names:
        raise Conflict(
            f"job definition {job_key!r} is used by schedule(s) {', '.join(names)}: "
            f"point them elsewhere before you {action} (or set enabled=false)"
        )


def _params_or_raw(row: dict[str, Any]) -> Any:
    raw = row["params"]
    if isinstance(raw, str) and json_depth(raw) <= MAX_JSON_DEPTH:
        try:
            return json.loads(raw or "{}")
        except ValueError:
            pass
    return raw


def _out(row: dict[str, Any], users: list[str]) -> JobOut:
    """A row as it is, params with credentials redacted; a row the engine cannot use says why in `problem`."""
    problem = None
    params: dict[str, Any] | None = None
    try:
        job = job_definition_from_row(row)
        params = redact(job.params)
        check_job_definition(job)
    except ValueError as exc:
        problem = redact_text(str(exc))
    data = readable(row)
    return JobOut(
        id=data["id"],
        job_key=data["job_key"],
        adapter=data["adapter"],
        params=params,
        description=data["description"],
        enabled=data["enabled"],
        max_runtime_seconds=data.get("max_runtime_seconds"),
        deadline=data.get("deadline"),
        version=data["version"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        problem=problem,
        schedules=users,
    )
