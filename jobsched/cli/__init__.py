"""`jobsched`: the command line. Writes go straight to the database through jobsched.service (the same
validation and messages as the HTTP API); exit code 1 on any error."""

from __future__ import annotations

import contextlib

import click
import sqlalchemy as sa

from jobsched import settings
from jobsched.cli.context import get_engine, now
from jobsched.cli.output import as_json, echo, reports_errors, table


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--database-url",
    envvar="JOBSCHED_DATABASE_URL",
    default=None,
    help="jobsched's database (default: $JOBSCHED_DATABASE_URL, else the SQLite file in JOBSCHED_DATA_DIR).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """jobsched: database-driven, market-calendar-aware schedules for Dagster."""
    ctx.ensure_object(dict)
    ctx.obj["url"] = settings.normalize_url(database_url) if database_url else settings.database_url()


@main.group()
def db() -> None:
    """jobsched's own database."""


@db.command("upgrade")
@click.option(
    "--dagster",
    "with_dagster",
    is_flag=True,
    help="also create or migrate Dagster's instance storage ($DAGSTER_HOME/dagster.yaml) first, "
    "as `dagster instance migrate` does (the deploy `migrate` one-shot uses this).",
)
@click.pass_context
@reports_errors
def db_upgrade(ctx: click.Context, with_dagster: bool) -> None:
    """Create or migrate jobsched's tables (Alembic) to the latest version."""
    from jobsched.store.migrate import migration_lock, upgrade

    url = ctx.find_root().obj["url"]
    with migration_lock(url) if with_dagster else contextlib.nullcontext():
        # jobsched first: it moves an old jobsched revision out of `alembic_version`, which Dagster reads
        upgrade(url)
        echo(f"database is up to date: {sa.make_url(url).render_as_string(hide_password=True)}")
        if with_dagster:
            from dagster import DagsterInstance

            from jobsched.defs.storage import migrate_instance

            with DagsterInstance.get() as instance:
                if migrate_instance(instance):
                    echo("created Dagster's schedule storage tables (hidden by jobsched's `schedules`)")
            echo("Dagster instance storage is up to date")


@main.command()
@click.option("--json", "json_out", is_flag=True, help="print the report as JSON")
@click.pass_context
@reports_errors
def seed(ctx: click.Context, json_out: bool) -> None:
    """Insert the example job definitions and schedules that are missing (idempotent; never overwrites)."""
    from jobsched.service.seed import seed as run_seed

    report = run_seed(get_engine(ctx), now())
    if json_out:
        as_json(report)
        return
    for key in report.created_jobs:
        echo(f"created job definition {key}")
    for name in report.created_schedules:
        echo(f"created schedule {name}")
    present = len(report.present_jobs) + len(report.present_schedules)
    created = len(report.created_jobs) + len(report.created_schedules)
    echo(f"seed: {created} row(s) created, {present} already present")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--log-level", default="info", show_default=True)
@click.pass_context
def api(ctx: click.Context, host: str, port: int, log_level: str) -> None:
    """Serve the HTTP API (docs at /docs, calendar view at /schedules/<id>/calendar)."""
    import uvicorn

    from jobsched.api.app import create_app

    uvicorn.run(create_app(ctx.find_root().obj["url"]), host=host, port=port, log_level=log_level)


@main.command()
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def health(ctx: click.Context, json_out: bool) -> None:
    """Database, engine heartbeat, quarantined schedules, calendar horizons. Exit code 1 when unhealthy."""
    from jobsched.service.health import health as check

    report = check(get_engine(ctx), now())
    if json_out:
        as_json(report)
    else:
        echo(f"health: {'ok' if report.ok else 'NOT OK'}")
        database, engine = report.database, report.engine
        assert database is not None and engine is not None  # the full report (the CLI reads the database)
        echo(f"database: {'ok' if database.ok else database.detail}")
        echo(f"engine: {engine.detail or 'ok'}")
        if report.calendars:
            table(
                [c.model_dump() for c in report.calendars],
                [
                    ("calendar", "calendar"),
                    ("ok", "ok"),
                    ("last day", "last_day"),
                    ("days left", "days_left"),
                    ("detail", "detail"),
                ],
            )
        for problem in report.problems:
            echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise SystemExit(1)


def _register() -> None:
    from jobsched.cli import calendars, jobs, schedules

    main.add_command(schedules.schedules)
    main.add_command(calendars.calendars)
    main.add_command(jobs.jobs)


_register()

__all__ = ["main"]
