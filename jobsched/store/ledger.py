"""The fire ledger: every fire and every skip, keyed by (schedule_id, fire_at). Claims are atomic inserts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jobsched.domain.model import Candidate, FireStatus, SkipReason, Trigger
from jobsched.store.rows import insert_if_absent
from jobsched.store.schema import fire_ledger
from jobsched.utc import utc, utc_now

OPEN_STATUSES = (FireStatus.PENDING.value, FireStatus.REQUESTED.value)


def run_key_for(schedule_id: int, fire_at: datetime) -> str:
    """The Dagster run_key of a fire: derived from the fire's identity, so every replica computes the same."""
    return f"jobsched:{schedule_id}:{utc(fire_at).isoformat()}"


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    schedule_id: int
    fire_at: datetime
    due_at: datetime
    business_date: date | None
    job_key: str | None
    trigger: str
    status: str
    reason: str | None
    detail: str | None
    run_key: str | None
    run_id: str | None
    claimed_at: datetime | None
    attempts: int


def entry_from_row(row: sa.RowMapping) -> LedgerEntry:
    return LedgerEntry(
        id=row["id"],
        schedule_id=row["schedule_id"],
        fire_at=utc(row["fire_at"]),
        due_at=utc(row["due_at"]),
        business_date=row["business_date"],
        job_key=row["job_key"],
        trigger=row["trigger"],
        status=row["status"],
        reason=row["reason"],
        detail=row["detail"],
        run_key=row["run_key"],
        run_id=row["run_id"],
        claimed_at=utc(row["claimed_at"]),
        attempts=row["attempts"],
    )


def record_skips(conn: sa.Connection, schedule_id: int, job_key: str, skips: Iterable[Candidate]) -> int:
    """Write skip entries; a fire already in the ledger (claimed or skipped by a replica) is left alone."""
    return record_skips_batch(conn, [(schedule_id, job_key, c) for c in skips], utc_now())


def record_skips_batch(
    conn: sa.Connection, skips: list[tuple[int, str, Candidate]], now: datetime, chunk: int = 500
) -> int:
    """Many schedules' skip entries in few statements; a fire already in the ledger is left alone."""
    written = 0
    for start in range(0, len(skips), chunk):
        rows = [
            _fire_values(schedule_id, job_key, c, now)
            | {"status": FireStatus.SKIPPED.value, "reason": c.skip and c.skip.value, "detail": c.detail}
            for schedule_id, job_key, c in skips[start : start + chunk]
        ]
        written += len(_insert_new(conn, rows))
    return written


def claim_fires(
    conn: sa.Connection, fires: list[tuple[int, str, Candidate]], now: datetime, chunk: int = 500
) -> set[tuple[int, datetime]]:
    """Claim many scheduled fires in few statements. Returns the (schedule_id, fire_at) this call won: with
    the unique key, of any number of concurrent claimers exactly one wins each fire."""
    won: set[tuple[int, datetime]] = set()
    for start in range(0, len(fires), chunk):
        rows = [
            _fire_values(schedule_id, job_key, c, now)
            | {
                "status": FireStatus.REQUESTED.value,
                "run_key": run_key_for(schedule_id, c.fire_at),
                "claimed_at": now,
                "attempts": 1,
            }
            for schedule_id, job_key, c in fires[start : start + chunk]
        ]
        won |= _insert_new(conn, rows)
    return won


def _insert_new(conn: sa.Connection, rows: list[dict]) -> set[tuple[int, datetime]]:
    """executemany with RETURNING: SQLAlchemy compiles the statement once and sends the rows in batches
    ("insertmanyvalues"); conflicting rows are skipped and return nothing."""
    if not rows:
        return set()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(fire_ledger)
        .on_conflict_do_nothing()
        .returning(fire_ledger.c.schedule_id, fire_ledger.c.fire_at)
    )
    return {(sid, utc(at)) for sid, at in conn.execute(statement, rows)}


def claim_fire(
    conn: sa.Connection, schedule_id: int, job_key: str, candidate: Candidate, now: datetime
) -> int | None:
    """Claim a scheduled fire before requesting its run. Returns the ledger id, or None if already claimed."""
    values = _fire_values(schedule_id, job_key, candidate, now) | {
        "status": FireStatus.REQUESTED.value,
        "run_key": run_key_for(schedule_id, candidate.fire_at),
        "claimed_at": now,
        "attempts": 1,
    }
    return insert_if_absent(conn, fire_ledger, values)


def add_pending(
    conn: sa.Connection, schedule_id: int, job_key: str, candidate: Candidate, trigger: Trigger
) -> int | None:
    """A manual or backfill fire for the sensor to pick up. None if that fire is already in the ledger
    (a fire that ran is never duplicated); a skipped entry is reopened as pending."""
    now = utc_now()
    values = _fire_values(schedule_id, job_key, candidate, now) | {
        "status": FireStatus.PENDING.value,
        "trigger": trigger.value,
        "run_key": run_key_for(schedule_id, candidate.fire_at),
    }
    new_id = insert_if_absent(conn, fire_ledger, values)
    if new_id is not None:
        return new_id
    reopened = conn.execute(
        sa.update(fire_ledger)
        .where(_identity(schedule_id, candidate.fire_at), fire_ledger.c.status == FireStatus.SKIPPED.value)
        .values(status=FireStatus.PENDING.value, reason=None, trigger=trigger.value, updated_at=now)
        .returning(fire_ledger.c.id)
    ).scalar_one_or_none()
    return reopened


def claim_pending(conn: sa.Connection, now: datetime) -> list[LedgerEntry]:
    """Claim manual/backfill entries that are due; each is won by exactly one replica."""
    rows = conn.execute(
        sa.select(fire_ledger)
        .where(fire_ledger.c.status == FireStatus.PENDING.value, fire_ledger.c.due_at <= now)
        .order_by(fire_ledger.c.due_at)
        .limit(500)
    ).mappings()
    claimed = []
    for row in list(rows):
        won = conn.execute(
            sa.update(fire_ledger)
            .where(fire_ledger.c.id == row["id"], fire_ledger.c.status == FireStatus.PENDING.value)
            .values(
                status=FireStatus.REQUESTED.value,
                claimed_at=now,
                attempts=row["attempts"] + 1,
                updated_at=now,
            )
        ).rowcount
        if won:
            claimed.append(entry_from_row(row))
    return claimed


def stale_claims(
    conn: sa.Connection, now: datetime, lease: timedelta, per_request: timedelta = timedelta(0)
) -> list[LedgerEntry]:
    """Requested fires whose claim is older than the lease: maybe the claimer died before launching.

    A daemon creates the runs of one tick one after the other (seen: 20 runs in 28-56 s under load), so a
    claim handed over with N others gets the lease plus N x `per_request` before it counts as stale.
    """
    stale = _select(
        conn,
        fire_ledger.c.status == FireStatus.REQUESTED.value,
        fire_ledger.c.run_id.is_(None),
        fire_ledger.c.claimed_at < now - lease,
        order_by=fire_ledger.c.due_at,
        limit=500,
    )
    if not stale or not per_request:
        return stale
    instants = {entry.claimed_at for entry in stale}
    counts = conn.execute(
        sa.select(fire_ledger.c.claimed_at, sa.func.count())
        .where(fire_ledger.c.claimed_at.in_(instants))
        .group_by(fire_ledger.c.claimed_at)
    ).all()
    batch: dict[datetime | None, int] = {utc(instant): count for instant, count in counts}
    return [
        e
        for e in stale
        if e.claimed_at is not None and e.claimed_at < now - lease - per_request * batch.get(e.claimed_at, 1)
    ]


def handed_over(conn: sa.Connection, run_keys: list[str], now: datetime) -> None:
    """The lease of claims runs from when their RunRequests left jobsched, not from the claim: a slow
    tick (planning, many claims) must not make its own fires look abandoned."""
    if run_keys:
        conn.execute(
            sa.update(fire_ledger)
            .where(
                fire_ledger.c.run_key.in_(run_keys),
                fire_ledger.c.status == FireStatus.REQUESTED.value,
                fire_ledger.c.run_id.is_(None),
                fire_ledger.c.claimed_at <= now,
            )
            .values(claimed_at=now)
        )


def skip_claims(
    conn: sa.Connection, run_keys: list[str], reason: SkipReason, detail: str, now: datetime
) -> int:
    """Turn claims that cannot become a run into skips (with `reason` and `detail`); returns how many."""
    if not run_keys:
        return 0
    return conn.execute(
        sa.update(fire_ledger)
        .where(
            fire_ledger.c.run_key.in_(run_keys),
            fire_ledger.c.status == FireStatus.REQUESTED.value,
            fire_ledger.c.run_id.is_(None),
        )
        .values(status=FireStatus.SKIPPED.value, reason=reason.value, detail=detail[:2000], updated_at=now)
    ).rowcount


def renew_claim(conn: sa.Connection, entry: LedgerEntry, now: datetime) -> bool:
    """Take over a stale claim; only one replica's renewal matches the old claimed_at."""
    return bool(
        conn.execute(
            sa.update(fire_ledger)
            .where(
                fire_ledger.c.id == entry.id,
                fire_ledger.c.status == FireStatus.REQUESTED.value,
                fire_ledger.c.claimed_at == entry.claimed_at,
            )
            .values(claimed_at=now, attempts=entry.attempts + 1, updated_at=now)
        ).rowcount
    )


def unsettled_runs(conn: sa.Connection, now: datetime, quiet: timedelta) -> list[LedgerEntry]:
    """Fires held by a run (`running`) that nothing wrote for `quiet`: the engine asks Dagster whether the
    run ended meanwhile (an outcome sensor that ran while the database was away lost its write)."""
    return _select(
        conn,
        fire_ledger.c.status == FireStatus.RUNNING.value,
        fire_ledger.c.run_id.is_not(None),
        fire_ledger.c.updated_at < now - quiet,
        order_by=fire_ledger.c.updated_at,
        limit=200,
    )


def rerun_candidates(conn: sa.Connection, now: datetime, max_attempts: int) -> list[LedgerEntry]:
    """Fires of the last hour whose run failed outside the adapter's step (its detail carries no
    [STEP_FAILURE]) and that have attempts left: the engine asks Dagster whether it re-runs them."""
    return _select(
        conn,
        fire_ledger.c.status == FireStatus.FAILURE.value,
        fire_ledger.c.due_at >= now - timedelta(hours=1),
        fire_ledger.c.attempts < max_attempts,
        fire_ledger.c.run_id.is_not(None),
        sa.func.coalesce(fire_ledger.c.detail, "").not_like("%[STEP_FAILURE]%"),
        order_by=fire_ledger.c.due_at,
        limit=100,
    )


def reopen_for_rerun(conn: sa.Connection, entry: LedgerEntry, now: datetime) -> str | None:
    """Claim a failed fire again for a new run (new run_key: Dagster refuses a second run of a key).
    Returns the new run_key, or None if the entry moved on meanwhile (another replica, a late retry)."""
    attempt = entry.attempts + 1
    run_key = f"{run_key_for(entry.schedule_id, entry.fire_at)}:attempt{attempt}"
    note = f"; re-run by jobsched as attempt {attempt} (Dagster's run retry gave up)"
    won = conn.execute(
        sa.update(fire_ledger)
        .where(
            fire_ledger.c.id == entry.id,
            fire_ledger.c.status == FireStatus.FAILURE.value,
            fire_ledger.c.run_id == entry.run_id,
        )
        .values(
            status=FireStatus.REQUESTED.value,
            run_id=None,
            holder=None,
            run_key=run_key,
            claimed_at=now,
            attempts=attempt,
            detail=((entry.detail or "") + note)[-2000:],
            updated_at=now,
        )
    ).rowcount
    return run_key if won else None


def note_run_id(conn: sa.Connection, entry_id: int, run_id: str) -> None:
    conn.execute(
        sa.update(fire_ledger)
        .where(fire_ledger.c.id == entry_id, fire_ledger.c.run_id.is_(None))
        .values(run_id=run_id, updated_at=utc_now())
    )


def confirm_fire(
    engine: sa.Engine,
    schedule_id: int,
    fire_at: datetime,
    run_id: str,
    parent_run_id: str | None = None,
    holder: str | None = None,
) -> str | None:
    """A run's first step: take the fire for this run. None if this run holds it now; else who does.

    The conditional update is the database guarantee behind exactly-once: of any number of runs created
    for one fire (two daemons, a replayed tick), only the first to get here does the work. `holder` names
    one execution of the run (two daemons' run queues can launch the same run twice): only the holding
    execution may confirm again (a step retry). A re-execution of the run that held or was noted on the fire
    takes it over: Dagster's automatic run retry or one from the UI. Dagster only re-executes a finished
    run, so the parent is ended even while the ledger still says `running` (its worker was killed and the
    outcome sensor has not written `failure` yet) or `requested` (it failed before its first step). The
    caller passes `parent_run_id` only for a parent Dagster reports finished.
    """
    holder = holder or run_id
    now = utc_now()
    retried = (FireStatus.FAILURE.value, FireStatus.CANCELED.value)
    taken_over = (*retried, FireStatus.RUNNING.value, *OPEN_STATUSES)
    unheld_or_noted = fire_ledger.c.run_id.is_(None) | (fire_ledger.c.run_id == run_id)
    from_parent = fire_ledger.c.status.in_(taken_over) & (fire_ledger.c.run_id == (parent_run_id or ""))
    with engine.begin() as conn:
        held = conn.execute(
            sa.update(fire_ledger)
            .where(
                _identity(schedule_id, fire_at),
                sa.or_(
                    fire_ledger.c.status.in_(OPEN_STATUSES)
                    & fire_ledger.c.holder.is_(None)
                    & unheld_or_noted,
                    (fire_ledger.c.status == FireStatus.RUNNING.value) & (fire_ledger.c.holder == holder),
                    from_parent,
                ),
            )
            .values(
                status=FireStatus.RUNNING.value,
                run_id=run_id,
                holder=holder,
                attempts=fire_ledger.c.attempts + sa.case((from_parent, 1), else_=0),
                updated_at=now,
            )
        ).rowcount
        if held:
            return None
        row = conn.execute(sa.select(fire_ledger).where(_identity(schedule_id, fire_at))).mappings().first()
    if row is None:
        return f"fire {run_key_for(schedule_id, fire_at)} is not in the ledger"
    return (
        f"fire {run_key_for(schedule_id, fire_at)} is already {row['status']}"
        + (f" by run {row['run_id']}" if row["run_id"] else "")
        + "; this run does no work"
    )


def record_outcome(
    engine: sa.Engine,
    schedule_id: int,
    fire_at: datetime,
    run_id: str,
    status: FireStatus,
    detail: str | None = None,
    parent_run_id: str | None = None,
) -> bool:
    """Write a finished run's outcome onto its fire, only if that run holds it (or nobody did yet), or its
    parent did: a re-execution from failure whose parent's step had already finished runs no step itself.
    `detail` (e.g. why an attempt failed and whether Dagster retries it) replaces the entry's detail."""
    values: dict = {"status": status.value, "run_id": run_id, "updated_at": utc_now()}
    if detail is not None:
        values["detail"] = detail[:2000]
    with engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(fire_ledger)
                .where(
                    _identity(schedule_id, fire_at),
                    sa.or_(
                        fire_ledger.c.run_id == run_id,
                        fire_ledger.c.run_id.is_(None),
                        (fire_ledger.c.run_id == (parent_run_id or ""))
                        & (fire_ledger.c.status != FireStatus.SUCCESS.value),
                    ),
                    fire_ledger.c.status != FireStatus.SKIPPED.value,
                )
                .values(**values)
            ).rowcount
        )


def entries(
    conn: sa.Connection,
    schedule_id: int | None = None,
    status: str | None = None,
    reason: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[LedgerEntry]:
    query = sa.select(fire_ledger).order_by(fire_ledger.c.fire_at.desc(), fire_ledger.c.id.desc())
    if schedule_id is not None:
        query = query.where(fire_ledger.c.schedule_id == schedule_id)
    if status:
        query = query.where(fire_ledger.c.status == status)
    if reason:
        query = query.where(fire_ledger.c.reason == reason)
    return [entry_from_row(row) for row in conn.execute(query.limit(limit).offset(offset)).mappings()]


def _select(
    conn: sa.Connection, *conditions: sa.ColumnElement[bool], order_by: sa.ColumnElement[Any], limit: int
) -> list[LedgerEntry]:
    """The entries matching all `conditions`, in `order_by` order, at most `limit`."""
    query = sa.select(fire_ledger).where(*conditions).order_by(order_by).limit(limit)
    return [entry_from_row(row) for row in conn.execute(query).mappings()]


def _identity(schedule_id: int, fire_at: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(fire_ledger.c.schedule_id == schedule_id, fire_ledger.c.fire_at == utc(fire_at))


def _fire_values(schedule_id: int, job_key: str, candidate: Candidate, now: datetime) -> dict:
    return {
        "schedule_id": schedule_id,
        "fire_at": utc(candidate.fire_at),
        "due_at": utc(candidate.run_at),
        "business_date": candidate.business_date,
        "job_key": job_key,
        "trigger": Trigger.SCHEDULE.value,
        "created_at": now,
        "updated_at": now,
    }


def latest_outcome(conn: sa.Connection, schedule_id: int) -> LedgerEntry | None:
    """The newest fire of a schedule that was not a skip (requested, running or finished)."""
    query = (
        sa.select(fire_ledger)
        .where(fire_ledger.c.schedule_id == schedule_id, fire_ledger.c.status != "skipped")
        .order_by(fire_ledger.c.fire_at.desc(), fire_ledger.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return entry_from_row(row) if row else None


def between(
    conn: sa.Connection,
    schedule_id: int,
    lo: datetime,
    hi: datetime,
    *,
    skipped: bool | None = None,
    limit: int = 5000,
) -> list[LedgerEntry]:
    """Entries whose fire instant is in [lo, hi], oldest first (skipped=True/False: only skips/only fires)."""
    query = sa.select(fire_ledger).where(
        fire_ledger.c.schedule_id == schedule_id,
        fire_ledger.c.fire_at >= utc(lo),
        fire_ledger.c.fire_at <= utc(hi),
    )
    if skipped is not None:
        query = query.where((fire_ledger.c.status == "skipped") == skipped)
    query = query.order_by(fire_ledger.c.fire_at, fire_ledger.c.id).limit(limit)
    return [entry_from_row(row) for row in conn.execute(query).mappings()]
