"""`jobsched calendars ...`"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from jobsched.cli.context import get_engine, now
from jobsched.cli.output import as_json, echo, invalid, record, reports_errors, table
from jobsched.service import calendars as service

DAY = click.DateTime(["%Y-%m-%d"])


def calendar_options(command: Any) -> Any:
    for option, field, help_text in reversed(
        [
            ("--base", "base", "exchange code whose sessions it starts from (e.g. XLON); '' for none"),
            ("--weekmask", "weekmask", "7 characters of 0/1, Monday first (default 1111100)"),
            ("--timezone", "timezone", "IANA zone of open/close and override times (no base)"),
            ("--open", "open_time", "normal open HH:MM (no base)"),
            ("--close", "close_time", "normal close HH:MM (no base)"),
            ("--description", "description", "free text"),
        ]
    ):
        command = click.option(option, field, default=None, help=help_text)(command)
    return command


def _given(kwargs: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {field: (kwargs[field] or None) for field in fields if kwargs.get(field) is not None}


FIELDS = ("base", "weekmask", "timezone", "open_time", "close_time", "description")


@click.group()
def calendars() -> None:
    """Custom calendars (with dated holidays and sessions) and the exchange calendars."""


@calendars.command("list")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def list_(ctx: click.Context, json_out: bool) -> None:
    """Custom calendars."""
    found = service.list_calendars(get_engine(ctx), now())
    if json_out:
        return as_json(found)
    rows = [
        c.model_dump()
        | {"overrides": len(c.overrides), "used_by": ", ".join(c.schedules), "problem": invalid(c.problem)}
        for c in found
    ]
    table(
        rows,
        [
            ("name", "name"),
            ("base", "base"),
            ("weekmask", "weekmask"),
            ("zone", "timezone"),
            ("overrides", "overrides"),
            ("used by", "used_by"),
            ("problem", "problem"),
        ],
    )


@calendars.command()
@click.pass_context
@reports_errors
def exchanges(ctx: click.Context) -> None:
    """Exchange calendar codes usable as a schedule's calendar or a custom calendar's base."""
    codes = service.list_exchanges()
    for start in range(0, len(codes), 10):
        echo("  ".join(code.ljust(8) for code in codes[start : start + 10]).rstrip())


@calendars.command()
@click.argument("name")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def show(ctx: click.Context, name: str, json_out: bool) -> None:
    """A custom calendar with its overrides, or an exchange calendar's data horizon."""
    if name in service.list_exchanges():
        found_exchange = service.get_exchange(name, now())
        return as_json(found_exchange) if json_out else record(found_exchange)
    found = service.get_calendar(get_engine(ctx), name, now())
    if json_out:
        return as_json(found)
    record(found)
    echo("used by: " + (", ".join(found.schedules) or "-"))
    echo("overrides:")
    table(
        [o.model_dump() for o in found.overrides],
        [
            ("day", "day"),
            ("kind", "kind"),
            ("open", "open_time"),
            ("close", "close_time"),
            ("reason", "reason"),
        ],
    )


@calendars.command()
@click.argument("name")
@calendar_options
@click.pass_context
@reports_errors
def add(ctx: click.Context, name: str, **kwargs: Any) -> None:
    """Create a custom calendar NAME, e.g. `jobsched calendars add ops-uk --base XLON`."""
    created = service.create_calendar(get_engine(ctx), {"name": name, **_given(kwargs, *FIELDS)}, now())
    echo(f"created calendar {created.name!r} (version {created.version})")


@calendars.command()
@click.argument("name")
@calendar_options
@click.option("--rename", "new_name", default=None, help="new name (only while no schedule uses it)")
@click.option("--version", "expected", type=click.IntRange(1), default=None, help="the version you read")
@click.pass_context
@reports_errors
def edit(ctx: click.Context, name: str, new_name: str | None, expected: int | None, **kwargs: Any) -> None:
    """Change a custom calendar."""
    engine = get_engine(ctx)
    patch = _given(kwargs, *FIELDS) | ({"name": new_name} if new_name else {})
    if not patch:
        raise click.UsageError("nothing to change")
    current = service.get_calendar(engine, name, now())
    updated = service.update_calendar(engine, name, patch, expected or current.version, now())
    echo(f"updated calendar {updated.name!r} (version {updated.version})")


@calendars.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
@reports_errors
def delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete a custom calendar (refused while a schedule uses it)."""
    engine = get_engine(ctx)
    current = service.get_calendar(engine, name, now())
    if not yes:
        click.confirm(f"delete calendar {name!r} and its {len(current.overrides)} override(s)?", abort=True)
    service.delete_calendar(engine, name, current.version)
    echo(f"deleted calendar {name!r}")


@calendars.command("add-override")
@click.argument("name")
@click.argument("day", type=DAY)
@click.option("--kind", type=click.Choice(["holiday", "session"]), required=True)
@click.option("--reason", required=True, help="why the day is special (shown on hover in the calendar view)")
@click.option("--open", "open_time", default=None, help="session open HH:MM (kind=session)")
@click.option(
    "--close", "close_time", default=None, help="session close HH:MM (kind=session), e.g. a half day"
)
@click.pass_context
@reports_errors
def add_override(
    ctx: click.Context,
    name: str,
    day: datetime,
    kind: str,
    reason: str,
    open_time: str | None,
    close_time: str | None,
) -> None:
    """Add a dated holiday or session to calendar NAME, e.g. `add-override ops-uk 2026-12-24 --kind holiday
    --reason 'office closed'`."""
    data = {
        "day": day.date(),
        "kind": kind,
        "reason": reason,
        "open_time": open_time,
        "close_time": close_time,
    }
    created = service.add_override(get_engine(ctx), name, data, now())
    echo(f"calendar {name!r}: {created.kind} on {created.day} ({created.reason})")


@calendars.command("remove-override")
@click.argument("name")
@click.argument("day", type=DAY)
@click.pass_context
@reports_errors
def remove_override(ctx: click.Context, name: str, day: datetime) -> None:
    """Remove the override of calendar NAME on DAY."""
    engine = get_engine(ctx)
    current = service.get_override(engine, name, day.date())
    service.delete_override(engine, name, day.date(), current.version)
    echo(f"calendar {name!r}: override on {day.date()} removed")
