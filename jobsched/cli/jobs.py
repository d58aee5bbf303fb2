"""`jobsched jobs ...`: job definitions (what runs) and the adapters they can use."""

from __future__ import annotations

import json
from typing import Any

import click

from jobsched.cli.context import get_engine
from jobsched.cli.output import as_json, echo, invalid, record, reports_errors, table
from jobsched.domain.validation import MAX_JSON_DEPTH, json_depth
from jobsched.service import jobs as service

MAX_RUNTIME_HELP = "seconds after which a run still going is ended and retried (default: deployment)"
DEADLINE_HELP = "by when each business date's data is due: close+2h, open+1h30m or HH:MM (local); '': none"


def _params(text: str | None) -> Any:
    if text is None:
        return None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise click.BadParameter(f"nested more than {MAX_JSON_DEPTH} deep", param_hint="--params")
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--params") from None


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@click.group()
def jobs() -> None:
    """Job definitions: an adapter and its parameters, under a key schedules refer to."""


@jobs.command("list")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def list_(ctx: click.Context, json_out: bool) -> None:
    found = service.list_jobs(get_engine(ctx))
    if json_out:
        return as_json(found)
    rows = [
        j.model_dump() | {"used_by": ", ".join(j.schedules), "problem": invalid(j.problem)} for j in found
    ]
    table(
        rows,
        [
            ("job", "job_key"),
            ("adapter", "adapter"),
            ("enabled", "enabled"),
            ("max runtime s", "max_runtime_seconds"),
            ("deadline", "deadline"),
            ("params", "params"),
            ("used by", "used_by"),
            ("problem", "problem"),
        ],
    )


@jobs.command()
@click.argument("job_key")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def show(ctx: click.Context, job_key: str, json_out: bool) -> None:
    found = service.get_job(get_engine(ctx), job_key)
    if json_out:
        return as_json(found)
    record(found)
    echo("used by: " + (", ".join(found.schedules) or "-"))


@jobs.command()
@click.argument("job_key")
@click.option("--adapter", required=True, help="registered adapter key (see `jobsched jobs adapters`)")
@click.option(
    "--params", default=None, help='adapter parameters as a JSON object, e.g. \'{"exchange": "XNYS"}\''
)
@click.option("--description", default=None)
@click.option("--disabled", is_flag=True, help="create it disabled (its fires are skipped as job_disabled)")
@click.option("--max-runtime", "max_runtime", type=int, default=None, help=MAX_RUNTIME_HELP)
@click.option("--deadline", default=None, help=DEADLINE_HELP)
@click.pass_context
@reports_errors
def add(
    ctx: click.Context,
    job_key: str,
    adapter: str,
    params: str | None,
    description: str | None,
    disabled: bool,
    max_runtime: int | None,
    deadline: str | None,
) -> None:
    """Create job definition JOB_KEY; its parameters are checked against the adapter's model."""
    data: dict[str, Any] = {
        "job_key": job_key,
        "adapter": adapter,
        "description": description,
        "enabled": not disabled,
    }
    if max_runtime is not None:
        data["max_runtime_seconds"] = max_runtime
    if deadline is not None:
        data["deadline"] = deadline
    parsed = _params(params)
    if parsed is not None:
        data["params"] = parsed
    created = service.create_job(get_engine(ctx), data)
    echo(f"created job definition {created.job_key!r} (adapter {created.adapter}, version {created.version})")


@jobs.command()
@click.argument("job_key")
@click.option("--adapter", default=None)
@click.option("--params", default=None, help="replaces all parameters (JSON object)")
@click.option("--description", default=None)
@click.option("--enable/--disable", "enabled", default=None)
@click.option("--max-runtime", "max_runtime", type=int, default=None, help=MAX_RUNTIME_HELP)
@click.option("--deadline", default=None, help=DEADLINE_HELP)
@click.option("--rename", "new_key", default=None, help="new key (only while no schedule uses it)")
@click.option("--version", "expected", type=click.IntRange(1), default=None, help="the version you read")
@click.pass_context
@reports_errors
def edit(
    ctx: click.Context,
    job_key: str,
    adapter: str | None,
    params: str | None,
    description: str | None,
    enabled: bool | None,
    max_runtime: int | None,
    deadline: str | None,
    new_key: str | None,
    expected: int | None,
) -> None:
    """Change a job definition."""
    engine = get_engine(ctx)
    given = {"adapter": adapter, "params": _params(params), "description": description, "enabled": enabled}
    given["max_runtime_seconds"] = max_runtime
    patch = {key: value for key, value in given.items() if value is not None}
    if deadline is not None:
        patch["deadline"] = deadline or None  # --deadline '' removes it
    if new_key:
        patch["job_key"] = new_key
    if not patch:
        raise click.UsageError("nothing to change")
    current = service.get_job(engine, job_key)
    updated = service.update_job(engine, job_key, patch, expected or current.version)
    echo(f"updated job definition {updated.job_key!r} (version {updated.version})")


@jobs.command()
@click.argument("job_key")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
@reports_errors
def delete(ctx: click.Context, job_key: str, yes: bool) -> None:
    """Delete a job definition (refused while a schedule uses it)."""
    engine = get_engine(ctx)
    current = service.get_job(engine, job_key)
    if not yes:
        click.confirm(f"delete job definition {job_key!r}?", abort=True)
    service.delete_job(engine, job_key, current.version)
    echo(f"deleted job definition {job_key!r}")


@jobs.command()
def adapters() -> None:
    """Registered adapters and their parameters."""
    from jobsched.adapters.registry import all_adapters

    rows = []
    for key, adapter in all_adapters().items():
        fields = adapter.Params.model_fields
        params = ", ".join(f"{name}{'' if info.is_required() else '?'}" for name, info in fields.items())
        rows.append({"key": key, "params": params, "description": getattr(adapter, "description", None)})
    table(rows, [("adapter", "key"), ("params (? = optional)", "params"), ("description", "description")])
