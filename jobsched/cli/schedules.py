"""`jobsched schedules ...`"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from jobsched.cli.context import ISO_INSTANT, get_engine, now, parse_assignments
from jobsched.cli.output import as_json, echo, record, reports_errors, table
from jobsched.domain.cron import CRON_HELP, DAY_MATCH_HELP
from jobsched.domain.model import FireStatus, SkipReason
from jobsched.service import actions, reads
from jobsched.service import schedules as service
from jobsched.service.models import FireOut

# (option, field) for the common fields; any other field goes through --set FIELD=VALUE.
FIELD_OPTIONS: list[tuple[str, str, str]] = [
    ("--name", "name", "unique name"),
    ("--job", "job_key", "job definition key (what runs)"),
    ("--kind", "kind", "cron | session | business_day (default cron)"),
    ("--cron", "cron", f"{CRON_HELP} cron_day_match (--set cron_day_match=or): {DAY_MATCH_HELP}"),
    ("--timezone", "timezone", "IANA zone, e.g. America/New_York (default UTC)"),
    ("--calendar", "calendar", "exchange code (XNYS) or custom calendar name; '' for none"),
    ("--holiday-rule", "holiday_rule", "skip | next | previous | ignore"),
    ("--session-event", "session_event", "open | close (kind=session)"),
    ("--offset-minutes", "offset_minutes", "minutes after (+) or before (-) the session event"),
    ("--business-day", "business_day", "1..23 or -1..-23 (kind=business_day)"),
    ("--local-time", "local_time", "HH:MM local time (kind=business_day)"),
    ("--start-at", "start_at", "ISO instant: no fires before"),
    ("--end-at", "end_at", "ISO instant: no fires after"),
    ("--description", "description", "free text"),
]
LIST_COLUMNS = [
    ("id", "id"),
    ("name", "name"),
    ("job", "job_key"),
    ("timing", "timing"),
    ("zone", "timezone"),
    ("calendar", "calendar"),
    ("state", "state"),
    ("v", "version"),
]


def field_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option, field, help_text in reversed(FIELD_OPTIONS):
        command = click.option(option, field, default=None, help=help_text)(command)
    command = click.option(
        "--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="any other field (repeatable)"
    )(command)
    return click.option(
        "--file", "file", type=click.File("r"), default=None, help="JSON object with the fields ('-' = stdin)"
    )(command)


def collect_fields(file: Any, assignments: tuple[str, ...], options: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.load(file)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--file") from None
        if not isinstance(loaded, dict):
            raise click.BadParameter("expected a JSON object", param_hint="--file")
        data.update(loaded)
    data.update({field: value for field, value in options.items() if value is not None})
    data.update(parse_assignments(assignments))
    return data


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {field: kwargs.pop(field) for _, field, _ in FIELD_OPTIONS}


@click.group()
def schedules() -> None:
    """Schedules: when a job definition runs."""


@schedules.command("list")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def list_(ctx: click.Context, json_out: bool) -> None:
    """All schedules."""
    found = service.list_schedules(get_engine(ctx))
    if json_out:
        return as_json(found)
    rows = []
    for item in found:
        row = item.model_dump()
        row["timing"] = _timing(row)
        row["state"] = _state(row)
        rows.append(row)
    table(rows, LIST_COLUMNS)


@schedules.command()
@click.argument("ref")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def show(ctx: click.Context, ref: str, json_out: bool) -> None:
    """One schedule (REF = id or name)."""
    found = service.get_schedule(get_engine(ctx), ref)
    as_json(found) if json_out else record(found)


@schedules.command()
@field_options
@click.pass_context
@reports_errors
def add(ctx: click.Context, file: Any, assignments: tuple[str, ...], **kwargs: Any) -> None:
    """Create a schedule, e.g. --name eod-prices-nyse --job eod_prices --cron '30 16 * * 1-5'
    --timezone America/New_York --calendar XNYS."""
    data = collect_fields(file, assignments, _options(kwargs))
    created = service.create_schedule(get_engine(ctx), data, now())
    echo(f"created schedule {created.id} {created.name!r} (version {created.version})")


@schedules.command()
@click.argument("ref")
@field_options
@click.option("--version", "expected", type=click.IntRange(1), default=None, help="the version you read")
@click.pass_context
@reports_errors
def edit(
    ctx: click.Context, ref: str, file: Any, assignments: tuple[str, ...], expected: int | None, **kwargs: Any
) -> None:
    """Change fields of a schedule; the rest keep their values. Without --version, the version just read is
    used (a concurrent edit in between is still refused)."""
    engine = get_engine(ctx)
    patch = collect_fields(file, assignments, _options(kwargs))
    if not patch:
        raise click.UsageError("nothing to change: give field options, --set FIELD=VALUE or --file")
    current = service.get_schedule(engine, ref)
    updated = service.update_schedule(engine, current.id, patch, expected or current.version, now())
    echo(f"updated schedule {updated.id} {updated.name!r} (version {updated.version})")


@schedules.command()
@click.argument("ref")
@click.option("--version", "expected", type=click.IntRange(1), default=None)
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
@reports_errors
def delete(ctx: click.Context, ref: str, expected: int | None, yes: bool) -> None:
    """Delete a schedule with its ledger (set enabled=false instead to keep the history)."""
    engine = get_engine(ctx)
    current = service.get_schedule(engine, ref)
    if not yes:
        click.confirm(f"delete schedule {current.id} {current.name!r} and its ledger?", abort=True)
    service.delete_schedule(engine, current.id, expected or current.version)
    echo(f"deleted schedule {current.id} {current.name!r}")


@schedules.command()
@click.argument("ref")
@click.option("--reason", required=True, help="why (shown in skips, the API and the calendar view)")
@click.pass_context
@reports_errors
def pause(ctx: click.Context, ref: str, reason: str) -> None:
    """Pause: fires are recorded as 'paused' skips until resumed (never replayed)."""
    updated = service.pause_schedule(get_engine(ctx), ref, reason)
    echo(f"paused schedule {updated.id} {updated.name!r}: {updated.pause_reason}")


@schedules.command()
@click.argument("ref")
@click.pass_context
@reports_errors
def resume(ctx: click.Context, ref: str) -> None:
    """Resume a paused schedule; fires missed while paused stay skipped."""
    updated = service.resume_schedule(get_engine(ctx), ref)
    echo(f"resumed schedule {updated.id} {updated.name!r}")


@schedules.command()
@click.argument("ref", required=False)
@click.option("--count", type=click.IntRange(1, reads.MAX_PREVIEW), default=10, show_default=True)
@click.option(
    "--after", type=ISO_INSTANT, default=None, help="start after this instant (default now; no offset = UTC)"
)
@field_options
@click.option("--all", "every_line", is_flag=True, help="print every skip, do not summarise runs of them")
@click.option("--json", "json_out", is_flag=True, help="the API's full answer, every skip listed")
@click.pass_context
@reports_errors
def preview(
    ctx: click.Context,
    ref: str | None,
    count: int,
    after: datetime | None,
    file: Any,
    assignments: tuple[str, ...],
    every_line: bool,
    json_out: bool,
    **kwargs: Any,
) -> None:
    """The next fires with the skips in between: of schedule REF, or of a draft given by field options.

    A run of more than 5 skips with the same reason (a pause, a calendar's data running out) is shown
    as its first lines and one '… and N more <reason> skips through <date>' line (--all prints them all).
    """
    engine = get_engine(ctx)
    draft = collect_fields(file, assignments, _options(kwargs))
    start = after or now()
    if ref is not None:
        if draft:
            raise click.UsageError("give either REF or field options for a draft, not both")
        result = reads.preview_saved(engine, ref, count, start)
    elif draft:
        result = reads.preview_draft(engine, draft, count, start)
    else:
        raise click.UsageError("give a schedule REF, or field options (e.g. --cron) to preview a draft")
    if json_out:
        return as_json(result)
    echo(f"times in {result.timezone}; calendar {result.calendar or 'none'}")
    fire_table(result.fires, summarise=not every_line)
    found = sum(1 for f in result.fires if not f.skip)
    if found < count:
        last = result.fires[-1].local_time[:10] if result.fires else "-"
        echo(f"{found} of {count} fires found through {last} (a preview looks at most 5 years ahead"
                   " and stops after a bounded number of skips)")  # fmt: skip


@schedules.command()
@click.argument("ref")
@click.option(
    "--business-date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="default: today in the schedule's zone",
)
@click.pass_context
@reports_errors
def trigger(ctx: click.Context, ref: str, business_date: datetime | None) -> None:
    """Fire now (tagged jobsched/trigger=manual); the engine sensor launches it on its next tick."""
    result = actions.trigger_now(get_engine(ctx), ref, now(), business_date.date() if business_date else None)
    echo(
        f"queued manual fire of schedule {result.schedule_id} at {result.fire_at.isoformat()} "
        f"(business date {result.business_date}, ledger id {result.ledger_id})"
    )
    if result.note:
        echo(f"note: {result.note}")


@schedules.command()
@click.argument("ref")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="first business date")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="last business date")
@click.option("--dry-run", is_flag=True, help="show what would be queued, queue nothing")
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def backfill(
    ctx: click.Context, ref: str, start: datetime, end: datetime, dry_run: bool, json_out: bool
) -> None:
    """Queue the fires the calendar allows for business dates FROM..TO (tagged backfill); fires already in
    the ledger are never queued again."""
    result = actions.backfill(get_engine(ctx), ref, start.date(), end.date(), now(), dry_run)
    if json_out:
        return as_json(result)
    verb = "would queue" if dry_run else "queued"
    echo(
        f"{verb} {len(result.queued)} fire(s); {len(result.already_present)} already in the ledger; "
        f"{len(result.skipped)} skipped by the calendar; {result.not_due} not due yet"
    )
    fire_table([*result.queued, *result.already_present, *result.skipped])


@schedules.command()
@click.argument("ref")
@click.option("--status", type=click.Choice([s.value for s in FireStatus]), default=None)
@click.option("--reason", type=click.Choice([r.value for r in SkipReason]), default=None)
@click.option("--limit", type=click.IntRange(1, reads.MAX_PAGE), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "json_out", is_flag=True)
@click.pass_context
@reports_errors
def fires(
    ctx: click.Context,
    ref: str,
    status: str | None,
    reason: str | None,
    limit: int,
    offset: int,
    json_out: bool,
) -> None:
    """The ledger of a schedule: fires and skips, newest first, with run ids and outcomes."""
    page = reads.ledger_page(get_engine(ctx), ref, status, reason, limit, offset)
    if json_out:
        return as_json(page)
    table(
        [item.model_dump() for item in page.items],
        [
            ("fire at (UTC)", "fire_at"),
            ("business date", "business_date"),
            ("trigger", "trigger"),
            ("status", "status"),
            ("reason", "reason"),
            ("run id", "run_id"),
            ("attempts", "attempts"),
            ("detail", "detail"),
        ],
    )
    if page.next_offset is not None:
        echo(f"more: --offset {page.next_offset}")


# A run of more than SKIP_RUN consecutive skips with one reason prints its first SKIP_RUN_SHOWN lines and a
# summary line.
SKIP_RUN = 5
SKIP_RUN_SHOWN = 3


def fire_table(fires_: list[FireOut], summarise: bool = False) -> None:
    rows: list[dict[str, Any]] = []
    for run in _runs(fires_) if summarise else [[f] for f in fires_]:
        shown = run if len(run) <= SKIP_RUN else run[:SKIP_RUN_SHOWN]
        rows += [_fire_row(f) for f in shown]
        if len(shown) < len(run):
            rest, last = len(run) - len(shown), run[-1]
            what = f"… and {rest} more {last.skip} skips through {last.local_time[:10]}"
            rows.append({"local": "…", "business_date": "", "what": "", "detail": what})
    table(
        rows,
        [("local time", "local"), ("business date", "business_date"), ("", "what"), ("detail", "detail")],
    )


def _fire_row(f: FireOut) -> dict[str, Any]:
    return {
        "local": f.local_time.replace("T", " "),
        "business_date": f.business_date,
        "what": f"skip: {f.skip}" if f.skip else "fire",
        "detail": f.detail,
    }


def _runs(fires_: list[FireOut]) -> list[list[FireOut]]:
    """Consecutive fires grouped: each skip reason's runs together, every fire on its own."""
    runs: list[list[FireOut]] = []
    for f in fires_:
        if runs and f.skip and runs[-1][-1].skip == f.skip:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


def _timing(row: dict[str, Any]) -> str:
    if row["kind"] == "cron":
        return f"cron {row['cron']}"
    if row["kind"] == "session":
        offset = row["offset_minutes"] if isinstance(row["offset_minutes"], int) else 0
        return f"{row['session_event']}{offset:+d}m"
    return f"bday {row['business_day']} {row['local_time']}"


def _state(row: dict[str, Any]) -> str:
    if row["problem"] or row["quarantined"]:
        return "INVALID"
    if not row["enabled"]:
        return "disabled"
    return f"paused ({row['pause_reason']})" if row["paused"] else "active"
