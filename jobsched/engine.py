"""One engine tick: read the rows, plan each schedule, claim fires in the ledger, record skips.

No dagster here: the sensor passes a RunLookup over its instance and turns FireRequests into RunRequests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from jobsched import tags as run_tags
from jobsched.domain import planner
from jobsched.domain.calendars import (
    EXCHANGE_CODES,
    BusinessCalendar,
    calendar_fingerprint,
    resolve_calendar,
)
from jobsched.domain.model import Candidate, OverlapPolicy, Schedule, SkipReason, Trigger
from jobsched.domain.validation import RowInvalid, schedule_from_row
from jobsched.store import ledger, repository, state
from jobsched.store.repository import JobDefinition
from jobsched.store.transient import is_transient

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)
# extra lease per fire handed over in the same batch (the daemon creates a batch's runs one by one):
# a fortieth of the lease, at most 3 s (the default lease of 120 s gives 3 s; a zero lease gives none)
LEASE_PER_REQUEST = timedelta(seconds=3)


class RunLookup(Protocol):
    """What the engine needs to know about Dagster's runs (implemented over the instance in defs/)."""

    def run_id_for_key(self, run_key: str) -> str | None: ...

    def has_active_run(self, job_key: str) -> bool: ...


@dataclass(frozen=True)
class FireRequest:
    """A claimed fire that must become exactly one Dagster run."""

    schedule_id: int
    schedule_name: str
    fire_at: datetime
    business_date: date | None
    job: JobDefinition
    trigger: str
    run_key: str

    def tags(self) -> dict[str, str]:
        return {
            run_tags.TAG_SCHEDULE: str(self.schedule_id),
            run_tags.TAG_SCHEDULE_NAME: self.schedule_name,
            run_tags.TAG_FIRE_TIME: self.fire_at.isoformat(),
            run_tags.TAG_BUSINESS_DATE: self.business_date.isoformat() if self.business_date else "",
            run_tags.TAG_JOB: self.job.job_key,
            run_tags.TAG_ADAPTER: self.job.adapter,
            run_tags.TAG_TRIGGER: self.trigger,
        }


@dataclass
class TickResult:
    requests: list[FireRequest] = field(default_factory=list)
    skips: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    next_run_at: datetime | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (schedule name, reason) written this tick
    quarantined: dict[str, str] = field(default_factory=dict)  # newly invalid (or invalid differently)
    recovered: list[str] = field(default_factory=list)  # quarantined rows that are valid again
    deferred: int = 0  # due rows left to the next tick (the time budget ran out in a burst)

    def summary(self) -> dict[str, Any]:
        return {"requested": len(self.requests), "skipped": self.skips, "errors": self.errors}

    def text(self, limit: int = 10) -> str:
        """The tick's story for Dagster's tick history: what fired, what was skipped and why, what is
        quarantined. Bounded: beyond `limit` names per part, a count."""
        parts = []
        if self.requests:
            parts.append("fired " + _names([r.schedule_name for r in self.requests], limit))
        if self.skipped:
            parts.append("skipped " + _names([f"{n} ({why})" for n, why in self.skipped], limit))
        if self.errors:
            parts.append("quarantined " + _names([f"{n}: {e[:120]}" for n, e in self.errors.items()], limit))
        if self.recovered:
            parts.append("valid again " + _names(self.recovered, limit))
        if self.deferred:
            parts.append(f"{self.deferred} due schedules left to the next tick")
        return "; ".join(parts)


def _names(items: list[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return f"{len(items)}: {shown}" + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class Snapshot:
    """Everything a tick reads, loaded once."""

    schedule_rows: list[dict[str, Any]]
    jobs: dict[str, JobDefinition]
    job_errors: dict[str, str]
    customs: dict[str, Any]
    calendar_errors: dict[str, str]
    states: dict[int, state.ScheduleState]
    calendar_fps: dict[str | None, str] = field(default_factory=dict)
    job_fps: dict[str, str] = field(default_factory=dict)

    @property
    def known_calendars(self) -> set[str]:
        return set(EXCHANGE_CODES) | set(self.customs) | set(self.calendar_errors)

    @property
    def known_jobs(self) -> set[str]:
        return set(self.jobs) | set(self.job_errors)


def load_snapshot(conn: sa.Connection) -> Snapshot:
    """Every row (for the API's previews and actions); a tick reads less (load_tick_snapshot)."""
    jobs, job_errors = _job_definitions(conn)
    customs, calendar_errors = repository.custom_calendars(conn)
    return Snapshot(
        repository.schedule_rows(conn), jobs, job_errors, customs, calendar_errors, state.load_states(conn)
    )


def _job_definitions(conn: sa.Connection) -> tuple[dict[str, JobDefinition], dict[str, str]]:
    jobs: dict[str, JobDefinition] = {}
    job_errors: dict[str, str] = {}
    for row in repository.job_definition_rows(conn):
        try:
            job = repository.job_definition_from_row(row)
            check_job_definition(job)
            jobs[job.job_key] = job
        except ValueError as exc:
            job_errors[row["job_key"]] = str(exc)
    return jobs, job_errors


def check_job_definition(job: JobDefinition) -> None:
    """Raise ValueError naming the field if the job's adapter or its params are unusable."""
    from jobsched.adapters.registry import get_adapter, validate_params

    try:
        get_adapter(job.adapter)
    except Exception as exc:  # noqa: BLE001 - any registry failure quarantines this job, not the tick
        raise ValueError(f"adapter={job.adapter!r}: {exc}") from None
    try:
        validate_params(job.adapter, job.params)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"params: {exc}") from None


BATCH = 500  # schedules per write transaction


@dataclass
class _Planned:
    schedule: Schedule
    job: JobDefinition
    fires: list[Candidate]
    skips: list[Candidate]
    state: state.Planned


def tick(
    engine: sa.Engine,
    now: datetime,
    runs: RunLookup,
    lease: timedelta = DEFAULT_LEASE,
    budget: float | None = None,
) -> TickResult:
    """Plan the schedules that are due or changed up to `now`; claim, record and return what must run.

    Work follows what is due or changed, not the table: rows are picked by the indexed next-due instant,
    their version and the fingerprints of their calendar and job definition. A bad row stops only itself;
    a transient database error abandons the whole tick (nothing quarantined, no watermark moved).

    `budget` (seconds) bounds a burst: once the tick has requests and has run that long, it leaves the
    remaining plain due rows (see `_deferrable`) to the next tick, so the first runs of a burst are created
    while the rest is still being claimed. Those rows stay due (nothing of theirs is written), so the next
    tick plans them; `TickResult.deferred` counts them."""
    result = TickResult()
    started = time.monotonic()
    with engine.connect() as conn:
        snapshot, last_tick = load_tick_snapshot(conn, now)
    first = [row for row in snapshot.schedule_rows if not _deferrable(snapshot, row, now)]
    rest = [row for row in snapshot.schedule_rows if _deferrable(snapshot, row, now)]
    rest.sort(key=lambda row: (snapshot.states[row["id"]].next_due_at, row["id"]))
    ordered = first + rest
    chunk = BATCH if budget is None else BURST_CHUNK
    done = 0
    while done < len(ordered):
        if done >= len(first) and budget is not None and result.requests:
            if time.monotonic() - started >= budget:
                result.deferred = len(ordered) - done
                break
        size = BATCH if done + BATCH <= len(first) else chunk
        _plan_and_write(engine, snapshot, ordered[done : done + size], now, runs, last_tick, result)
        done += size
    _claim_pending(engine, now, snapshot, result)
    _renew_stale(engine, now, snapshot, runs, lease, result)
    _settle_outcomes(engine, now, runs)
    _rerun_abandoned(engine, snapshot, now, runs, result)
    with engine.begin() as conn:
        # the tick's wall time feeds the jobsched_engine_tick_duration_seconds metric
        duration = {"duration_seconds": round(time.monotonic() - started, 3)}
        state.record_tick(conn, now, result.summary() | duration)
        result.next_run_at = state.earliest_due(conn, now)
    return result


BURST_CHUNK = 25  # due schedules per write transaction when the tick has a time budget


def _deferrable(snapshot: Snapshot, row: Mapping[str, Any], now: datetime) -> bool:
    """A row that may wait for the next tick when a burst overruns the budget: planned before, unchanged
    (version, calendar, job definition), valid, and due. Rows whose outcome depends on the instant they are
    planned at are never deferred: misfire_policy=skip (a later plan may find the fire late) and
    overlap_policy=skip (a later plan may see the runs of this burst in flight)."""
    stored = snapshot.states.get(row["id"])
    return (
        stored is not None
        and stored.error is None
        and stored.next_due_at is not None
        and stored.next_due_at <= now
        and stored.seen_version == row["version"]
        and stored.calendar_fp == snapshot.calendar_fps.get(row["calendar"])
        and stored.job_fp == snapshot.job_fps.get(row["job_key"])
        and row["misfire_policy"] != "skip"
        and row["overlap_policy"] != "skip"
    )


def _plan_and_write(
    engine: sa.Engine,
    snapshot: Snapshot,
    rows: list[dict[str, Any]],
    now: datetime,
    runs: RunLookup,
    last_tick: datetime | None,
    result: TickResult,
) -> None:
    planned: list[_Planned] = []
    for row in rows:
        try:
            planned.append(_plan_schedule(snapshot, row, now, runs, last_tick))
        except Exception as exc:  # noqa: BLE001 - quarantine the row, keep the others firing
            if is_transient(exc):
                raise
            _quarantine(engine, snapshot, row, exc, now, result)
    _log_recovered(snapshot, planned, result)
    _write_batch(engine, planned, now, result)


def load_tick_snapshot(conn: sa.Connection, now: datetime) -> tuple[Snapshot, datetime | None]:
    """Jobs and calendars (small tables) in full; only the schedule rows this tick must plan."""
    jobs, job_errors = _job_definitions(conn)
    customs, calendar_errors = repository.custom_calendars(conn)
    calendar_fps = {
        name: calendar_fingerprint(name, customs, calendar_errors, now)
        for name in repository.schedule_calendar_names(conn)
    }
    job_fps = {key: _job_fp(key, jobs, job_errors) for key in set(jobs) | set(job_errors)}
    ids = state.ids_needing_plan(conn, now, calendar_fps.values(), job_fps.values())
    rows = repository.schedule_rows(conn, ids)
    states = state.load_states(conn, ids)
    previous = state.last_tick(conn)
    snapshot = Snapshot(rows, jobs, job_errors, customs, calendar_errors, states)
    snapshot.calendar_fps, snapshot.job_fps = calendar_fps, job_fps
    return snapshot, previous[0] if previous else None


def _job_fp(job_key: str, jobs: Mapping[str, JobDefinition], errors: Mapping[str, str]) -> str:
    if job_key in jobs:
        return f"{job_key}#{jobs[job_key].version}"
    if job_key in errors:
        return f"!{job_key}:{hash(errors[job_key]) & 0xFFFFFF:x}"[:200]
    return f"?{job_key}"[:200]


def _plan_schedule(
    snapshot: Snapshot, row: Mapping[str, Any], now: datetime, runs: RunLookup, last_tick: datetime | None
) -> _Planned:
    schedule, job = validated(snapshot, row)
    calendar = calendar_for(snapshot, schedule, now)
    stored = snapshot.states.get(schedule.id)
    watermark = planner.effective_watermark(
        schedule, _implicit_watermark(stored, last_tick), stored.seen_version if stored else None, now
    )
    plan = planner.plan_tick(schedule, calendar, watermark, now)
    fires, skips = _apply_job_and_overlap(schedule, job, plan.fires, runs)
    new_watermark = plan.watermark or now
    planned_state = state.Planned(
        schedule_id=schedule.id,
        watermark=new_watermark,
        seen_version=schedule.version,
        next_due_at=planner.next_due_at(schedule, calendar, new_watermark),
        calendar_fp=snapshot.calendar_fps.get(schedule.calendar, "?"),
        job_fp=snapshot.job_fps.get(schedule.job_key, "?"),
    )
    return _Planned(schedule, job, fires, plan.skips + skips, planned_state)


def _implicit_watermark(stored: state.ScheduleState | None, last_tick: datetime | None) -> datetime | None:
    """Idle rows are not written, so their stored watermark lags. Nothing of theirs was due before their
    next-due instant, and every tick up to the last one saw that: the watermark a tick-by-tick engine
    would have stored is the later of the two."""
    if stored is None:
        return None
    if last_tick is None or stored.error is not None:
        return stored.watermark
    idle_until = last_tick if stored.next_due_at is None else min(last_tick, stored.next_due_at - _TINY)
    return max(stored.watermark, idle_until)


_TINY = timedelta(microseconds=1)


def _write_batch(engine: sa.Engine, batch: list[_Planned], now: datetime, result: TickResult) -> None:
    """One transaction for a chunk of schedules: their skips, their claims, their new state."""
    with engine.begin() as conn:
        skips = [(p.schedule.id, p.job.job_key, c) for p in batch for c in p.skips]
        result.skips += ledger.record_skips_batch(conn, skips, now)
        fires = [(p.schedule.id, p.job.job_key, c) for p in batch for c in p.fires]
        won = ledger.claim_fires(conn, fires, now)
        state.save_planned(conn, [p.state for p in batch], now)
    by_id = {p.schedule.id: p for p in batch}
    for schedule_id, _, candidate in fires:
        if (schedule_id, candidate.fire_at) in won:
            p = by_id[schedule_id]
            result.requests.append(_request(p.schedule, p.job, candidate, Trigger.SCHEDULE.value))
    for p in batch:
        for candidate in p.skips:
            result.skipped.append((p.schedule.name, candidate.skip.value if candidate.skip else "?"))


def _quarantine(
    engine: sa.Engine,
    snapshot: Snapshot,
    row: Mapping[str, Any],
    exc: Exception,
    now: datetime,
    result: TickResult,
) -> None:
    message = str(exc) if isinstance(exc, RowInvalid | ValueError) else f"{type(exc).__name__}: {exc}"
    result.errors[row["name"]] = message
    stored = snapshot.states.get(row["id"])
    if stored is None or stored.error != message:  # logged when it becomes (differently) invalid only
        result.quarantined[row["name"]] = message
        log.warning("schedule %r quarantined: %s", row["name"], message)
    with engine.begin() as conn:
        state.quarantine(conn, row["id"], message, now)


def _log_recovered(snapshot: Snapshot, planned: list[_Planned], result: TickResult) -> None:
    for p in planned:
        stored = snapshot.states.get(p.schedule.id)
        if stored is not None and stored.error is not None:
            result.recovered.append(p.schedule.name)
            log.info("schedule %r is valid again (was quarantined: %s)", p.schedule.name, stored.error)


def validated(snapshot: Snapshot, row: Mapping[str, Any]) -> tuple[Schedule, JobDefinition]:
    schedule = schedule_from_row(row, snapshot.known_calendars, snapshot.known_jobs)
    if schedule.job_key in snapshot.job_errors:
        raise RowInvalid("job_key", schedule.job_key, snapshot.job_errors[schedule.job_key])
    if schedule.calendar in snapshot.calendar_errors:
        raise RowInvalid("calendar", schedule.calendar, snapshot.calendar_errors[schedule.calendar])
    return schedule, snapshot.jobs[schedule.job_key]


def calendar_for(snapshot: Snapshot, schedule: Schedule, now: datetime) -> BusinessCalendar | None:
    return resolve_calendar(schedule.calendar, snapshot.customs, now)


def _apply_job_and_overlap(
    schedule: Schedule, job: JobDefinition, fires: list[Candidate], runs: RunLookup
) -> tuple[list[Candidate], list[Candidate]]:
    """A disabled job definition turns fires into skips; overlap=skip keeps at most one in flight."""
    if not fires:
        return [], []
    if not job.enabled:
        return [], [
            _skip(c, SkipReason.JOB_DISABLED, f"job definition {job.job_key!r} is disabled") for c in fires
        ]
    if schedule.overlap_policy is not OverlapPolicy.SKIP:
        return fires, []
    if runs.has_active_run(job.job_key):
        detail = f"a run of {job.job_key!r} is still queued or running (overlap_policy=skip)"
        return [], [_skip(c, SkipReason.OVERLAP, detail) for c in fires]
    detail = "an earlier fire of this tick runs instead (overlap_policy=skip)"
    return fires[-1:], [_skip(c, SkipReason.OVERLAP, detail) for c in fires[:-1]]


def _claim_pending(engine: sa.Engine, now: datetime, snapshot: Snapshot, result: TickResult) -> None:
    """Manual triggers and backfills wait in the ledger as `pending`; they take the same path as schedules."""
    with engine.begin() as conn:
        claimed = ledger.claim_pending(conn, now)
        names = _rows_for(conn, snapshot, claimed)
    for entry in claimed:
        request = _request_for_entry(snapshot, names, entry)
        if request is not None:
            result.requests.append(request)


def _renew_stale(
    engine: sa.Engine,
    now: datetime,
    snapshot: Snapshot,
    runs: RunLookup,
    lease: timedelta,
    result: TickResult,
) -> None:
    """A fire claimed but never turned into a run (crash between claim and launch) is re-emitted after the
    lease, only if no run carries its run_key; the run_key makes Dagster itself refuse a second run."""
    with engine.connect() as conn:
        stale = ledger.stale_claims(conn, now, lease, min(LEASE_PER_REQUEST, lease / 40))
        names = _rows_for(conn, snapshot, stale)
    for entry in stale:
        run_id = runs.run_id_for_key(entry.run_key or "")
        with engine.begin() as conn:
            if run_id:
                ledger.note_run_id(conn, entry.id, run_id)
                continue
            if not ledger.renew_claim(conn, entry, now):
                continue
        request = _request_for_entry(snapshot, names, entry)
        if request is not None:
            log.warning(
                "re-emitting fire %s: claimed at %s but no run exists", entry.run_key, entry.claimed_at
            )
            result.requests.append(request)


def _settle_outcomes(engine: sa.Engine, now: datetime, runs: RunLookup) -> None:
    """Write the outcome of runs that ended while their outcome sensor could not reach the database."""
    outcome_of = getattr(runs, "run_outcome", None)
    if outcome_of is None:
        return
    with engine.connect() as conn:
        unsettled = ledger.unsettled_runs(conn, now, timedelta(seconds=60))
    for entry in unsettled:
        status = outcome_of(entry.run_id)
        if status is not None:
            detail = f"outcome of run {entry.run_id} written by the engine (its outcome sensor missed it)"
            run_id = entry.run_id or ""
            ledger.record_outcome(engine, entry.schedule_id, entry.fire_at, run_id, status, detail)


MAX_ATTEMPTS = 4  # a fire's runs in all: the first and up to three re-runs (Dagster's or jobsched's)


def _rerun_abandoned(
    engine: sa.Engine, snapshot: Snapshot, now: datetime, runs: RunLookup, result: TickResult
) -> None:
    """Dagster's run retry gives up for good when it cannot reach the code location at that moment (a code
    server being replaced): such a fire, failed outside the adapter's step, is requested again here under a
    new run_key, within MAX_ATTEMPTS. Adapter (step) failures are never re-run."""
    abandoned = getattr(runs, "abandoned_failure", None)
    if abandoned is None:
        return
    with engine.connect() as conn:
        candidates = ledger.rerun_candidates(conn, now, MAX_ATTEMPTS)
        names = _rows_for(conn, snapshot, candidates)
    for entry in candidates:
        if not abandoned(entry.run_id):
            continue
        with engine.begin() as conn:
            run_key = ledger.reopen_for_rerun(conn, entry, now)
        request = _request_for_entry(snapshot, names, replace(entry, run_key=run_key)) if run_key else None
        if request is not None:
            log.warning("re-running fire %s: run %s failed outside its step", run_key, entry.run_id)
            result.requests.append(request)


def _rows_for(
    conn: sa.Connection, snapshot: Snapshot, entries: list[ledger.LedgerEntry]
) -> dict[int, dict[str, Any]]:
    if not entries:
        return {}
    return {row["id"]: row for row in repository.schedule_rows(conn, {e.schedule_id for e in entries})}


def _request_for_entry(
    snapshot: Snapshot, rows: Mapping[int, Mapping[str, Any]], entry: ledger.LedgerEntry
) -> FireRequest | None:
    row = rows.get(entry.schedule_id)
    job = snapshot.jobs.get(entry.job_key or (row["job_key"] if row else ""))
    if row is None or job is None:
        log.warning("ledger entry %s has no usable schedule or job definition", entry.id)
        return None
    return FireRequest(
        schedule_id=entry.schedule_id,
        schedule_name=row["name"],
        fire_at=entry.fire_at,
        business_date=entry.business_date,
        job=job,
        trigger=entry.trigger,
        run_key=entry.run_key or ledger.run_key_for(entry.schedule_id, entry.fire_at),
    )


def _request(schedule: Schedule, job: JobDefinition, candidate: Candidate, trigger: str) -> FireRequest:
    return FireRequest(
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        fire_at=candidate.fire_at,
        business_date=candidate.business_date,
        job=job,
        trigger=trigger,
        run_key=ledger.run_key_for(schedule.id, candidate.fire_at),
    )


def _skip(candidate: Candidate, reason: SkipReason, detail: str) -> Candidate:
    return replace(candidate, skip=reason, detail=detail)
