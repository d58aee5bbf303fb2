"""What every command needs: the database engine of the root command's --database-url, and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa

from jobsched.store.db import engine_for


def now() -> datetime:
    return datetime.now(UTC)


def get_engine(ctx: click.Context) -> sa.Engine:
    return engine_for(ctx.find_root().obj["url"])


def parse_assignments(pairs: tuple[str, ...], option: str = "--set") -> dict[str, str | None]:
    """FIELD=VALUE pairs; an empty VALUE means null."""
    values: dict[str, str | None] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(f"{pair!r}: expected FIELD=VALUE", param_hint=option)
        values[field.strip()] = value if value != "" else None
    return values


class IsoInstant(click.ParamType):
    """2026-11-20T09:30:00Z, 2026-11-20T09:30+01:00 or 2026-11-20; no offset means UTC."""

    name = "ISO-INSTANT"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date-time like 2026-11-20T09:30:00Z", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ISO_INSTANT = IsoInstant()
