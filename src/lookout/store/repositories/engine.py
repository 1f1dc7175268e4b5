"""The engine's store: what the scheduler claims and what the result writer records.

`EngineStore` runs SQLAlchemy Core statements on any dialect; `SqliteEngineStore`
(engine_sqlite.py) overrides the hottest ones to talk to `sqlite3` directly. Both build
their statements from the column lists below, which are read off the table metadata, so
a column added to a table reaches both paths or neither. `engine_store_for(dialect)`
picks one; tests/engine/test_store_paths.py proves both store the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, LargeBinary, Table, and_, bindparam, false, func, insert, or_, select, update
from sqlalchemy import cast as sa_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lookout.model.findings import FindingsDiff
from lookout.store.db import EpochMillis, Micros, UtcDateTime
from lookout.store.packed_json import PackedJSON
from lookout.store.tables import (
    Check,
    CheckRun,
    CheckState,
    DowntimePeriod,
    Finding,
    MinuteRollup,
    Monitor,
    StateChange,
    UptimeHour,
)
from lookout.store.tables.runs import RunResult

RUNS = cast(Table, CheckRun.__table__)
CHECKS = cast(Table, Check.__table__)
STATES = cast(Table, CheckState.__table__)
MONITORS = cast(Table, Monitor.__table__)
ROLLUPS = cast(Table, UptimeHour.__table__)
CHANGES = cast(Table, StateChange.__table__)
FINDINGS = cast(Table, Finding.__table__)
MINUTES = cast(Table, MinuteRollup.__table__)


def _columns(table: Table, *, without: Collection[str] = ("id",)) -> tuple[str, ...]:
    return tuple(column.name for column in table.columns if column.name not in without)


RUN_COLUMNS = _columns(RUNS)
# Run columns stored deflated (PackedJSON): the SQLite fast path packs them as the type does.
RUN_PACKED = frozenset(column.name for column in RUNS.columns if isinstance(column.type, PackedJSON))
# Run columns stored as integers (epoch milliseconds, microseconds, result codes): the
# SQLite fast path encodes them with the column type's own function.
RUN_ENCODED: dict[str, Callable[[Any], Any]] = {
    column.name: column.type.encode
    for column in RUNS.columns
    if isinstance(column.type, EpochMillis | Micros | RunResult)
}
STATE_COLUMNS = _columns(STATES, without=())
CHANGE_COLUMNS = _columns(CHANGES, without=("id", "claimed_at", "processed_at"))
ROLLUP_KEY = ("check_id", "hour")
ROLLUP_COLUMNS = _columns(ROLLUPS)
# Rollup columns an upsert adds up; min_/max_ ones keep the extreme. The rest is the key.
ROLLUP_EXTREMES = {"min_total_us": "min", "max_total_us": "max"}
ROLLUP_SUMMED = tuple(
    name for name in ROLLUP_COLUMNS if name not in ROLLUP_KEY and name not in ROLLUP_EXTREMES
)
MINUTE_KEY = ("check_id", "half_hour")
MINUTE_COLUMNS = _columns(MINUTES, without=())
ENGINE_TABLES = (RUNS, CHECKS, STATES, MONITORS, ROLLUPS, CHANGES, MINUTES)
DATETIME_COLUMNS = frozenset(
    column.name for table in ENGINE_TABLES for column in table.columns if isinstance(column.type, UtcDateTime)
)
JSON_COLUMNS = frozenset(
    column.name for table in ENGINE_TABLES for column in table.columns if isinstance(column.type, JSON)
)


# Plain slotted records, not frozen: a frozen dataclass's __init__ sets each field through
# object.__setattr__, and these are built by the thousand per batch.
@dataclass(slots=True)
class DueCheck:
    check_id: int
    monitor_id: int
    check_type: str
    monitor_type: str
    url: str
    settings: dict[str, Any]
    due_at: datetime
    team_id: int = 0
    # A failure was seen and awaits confirmation (the evaluator's `confirming_failure`):
    # with other locations, the re-check runs at another one.
    confirming: bool = False


@dataclass(slots=True)
class StoredState:
    check_id: int
    status: str
    failures_in_a_row: int
    successes_in_a_row: int
    failing_since: datetime | None
    last_run_at: datetime | None
    changed_at: datetime | None
    success_count: int


@dataclass(slots=True)
class BatchCheck:
    """A check of a monitor in the writer's batch, with its evaluator state if it has run."""

    check_id: int
    monitor_id: int
    check_type: str
    enabled: bool
    latest_run_result: str | None
    settings: dict[str, Any]
    """Only for the types asked for; {} otherwise."""
    state: StoredState | None


# What a job is built from, in DueCheck's order (due_at is added by the caller).
_JOB_COLUMNS = (Check.id, Check.monitor_id, Check.type, Monitor.type, Monitor.url, Check.settings)
_STATE_FIELDS = STATE_COLUMNS[1:]


@dataclass(slots=True)
class BatchWrites:
    """Everything one writer batch stores, as `EngineStore.write_batch` takes it."""

    runs: list[dict[str, Any]]
    states: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    monitors: list[dict[str, Any]]
    rollups: list[list[Any]]
    minutes: list[list[Any]]


# Built once, as the other statements of the write path: a batch's writer runs them each time.
# Rows are locked in the order they are returned (ORDER BY id).
_LOCK_CHECKS = (
    select(Check.id)
    .where(Check.id.in_(bindparam("ids", expanding=True)))
    .order_by(Check.id)
    .with_for_update()
)
# Writes no row, but begins the write transaction (SQLite's write lock) where it runs.
_TAKE_WRITE_LOCK = update(Check).where(false()).values(id=Check.id)


class EngineStore:
    """Every statement the engine runs, as Core statements (PostgreSQL, and SQLite in tests)."""

    dialect = "any"

    # -- scheduler --------------------------------------------------------------------

    def claim_due(
        self,
        session: Session,
        now: datetime,
        check_types: Sequence[str],
        limit: int,
        claim_until: datetime,
    ) -> list[DueCheck]:
        """Due checks (next_run_at passed, or never set: a check runs once as soon as it is
        enabled), pushed to `claim_until`.

        The claim keeps the next tick (or another scheduler) from enqueuing them again; the
        result writer replaces it with the real next run. A claim whose job died runs out and
        the check becomes due again: that is how a crash resumes.
        """
        if limit <= 0 or not check_types:
            return []
        confirming = and_(CheckState.failures_in_a_row > 0, CheckState.status != "down")
        base = (
            select(*_JOB_COLUMNS, Check.next_run_at, Monitor.team_id, confirming)
            .join(Monitor, Monitor.id == Check.monitor_id)
            .outerjoin(CheckState, CheckState.check_id == Check.id)
            .where(
                Check.enabled.is_(True),
                Check.type.in_(check_types),
                Monitor.marked_for_deletion_at.is_(None),
            )
        )
        never = base.where(Check.next_run_at.is_(None)).limit(limit)
        due = base.where(Check.next_run_at <= now).order_by(Check.next_run_at)
        rows = list(session.execute(never.with_for_update(skip_locked=True, of=Check)))
        if len(rows) < limit:
            rows += list(
                session.execute(due.limit(limit - len(rows)).with_for_update(skip_locked=True, of=Check))
            )
        if not rows:
            return []
        session.execute(
            update(Check).where(Check.id.in_([row[0] for row in rows])).values(next_run_at=claim_until)
        )
        return [
            DueCheck(
                row[0], row[1], row[2], row[3], row[4], row[5] or {}, row[6] or now, row[7], bool(row[8])
            )
            for row in rows
        ]

    def release_claims(self, session: Session, due_at: dict[int, datetime]) -> None:
        """Give queued-but-unrun checks their due time back (a clean stop)."""
        if due_at:
            session.execute(
                update(Check), [{"id": check_id, "next_run_at": at} for check_id, at in due_at.items()]
            )

    def job_source(self, session: Session, check_id: int, now: datetime) -> DueCheck | None:
        row = session.execute(
            select(*_JOB_COLUMNS, Monitor.team_id)
            .join(Monitor, Monitor.id == Check.monitor_id)
            .where(Check.id == check_id)
        ).first()
        if row is None:
            return None
        return DueCheck(row[0], row[1], row[2], row[3], row[4], row[5] or {}, now, row[6])

    # -- writer: reads ----------------------------------------------------------------

    def lock_checks(self, session: Session, check_ids: Collection[int]) -> None:
        """Make this transaction the only writer of these checks until it commits, for a
        writer that other processes write beside (a shared queue). Two processes storing
        runs of one check (a job taken over from a runner that stalled, not died) then
        store them one after the other, the second from the state and ring of runs the
        first left; read side by side, both took the same ring slot and one run replaced
        the other. PostgreSQL: the checks' rows, locked in id order (no two batches wait on
        each other). SQLite: the database's write lock, taken now rather than at the first
        write (the driver begins a transaction only there, so the reads before it saw
        whatever was committed when they ran)."""
        if not check_ids:
            return
        if session.get_bind().dialect.name == "postgresql":
            session.connection().execute(_LOCK_CHECKS, {"ids": list(check_ids)})
        else:
            session.connection().execute(_TAKE_WRITE_LOCK)

    def batch_checks(
        self,
        session: Session,
        monitor_ids: Iterable[int],
        check_ids: Iterable[int],
        settings_of: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> dict[int, BatchCheck]:
        """check id → the enabled checks of `types` of these monitors and the batch's own
        checks, each with its state; settings only for `settings_of` types."""
        monitor_ids = set(monitor_ids)
        if not monitor_ids:
            return {}
        c, st = CHECKS.c, STATES.c
        query = (
            select(
                c.id,
                c.monitor_id,
                c.type,
                c.enabled,
                c.latest_run_result,
                c.settings,
                *(st[name] for name in _STATE_FIELDS),
            )
            .select_from(CHECKS.outerjoin(STATES, st.check_id == c.id))
            .where(
                c.monitor_id.in_(monitor_ids),
                or_(and_(c.enabled.is_(True), c.type.in_(list(types))), c.id.in_(set(check_ids))),
            )
        )
        return {
            row[0]: batch_check_from(row[:5], (row[5] or {}) if row[2] in settings_of else {}, row[6:])
            for row in session.execute(query)
        }

    def recent_averages(
        self, session: Session, check_ids: Iterable[int], since: datetime
    ) -> dict[int, float]:
        rows = session.execute(
            select(CheckRun.check_id, func.avg(CheckRun.total_ms, type_=CheckRun.total_ms.type))
            .where(CheckRun.check_id.in_(set(check_ids)), CheckRun.started_at >= since)
            .group_by(CheckRun.check_id)
        )
        return {row[0]: float(row[1]) for row in rows if row[1] is not None}

    def open_findings(
        self, session: Session, check_ids: Iterable[int]
    ) -> dict[int, dict[str, dict[str, Any]]]:
        """check id → key → payload of every finding not resolved yet."""
        found: dict[int, dict[str, dict[str, Any]]] = {check_id: {} for check_id in check_ids}
        if not found:
            return found
        f = FINDINGS.c
        rows = session.execute(
            select(f.check_id, f.key, f.payload).where(f.check_id.in_(list(found)), f.resolved_at.is_(None))
        )
        for check_id, key, payload in rows:
            found[check_id][key] = payload or {}
        return found

    # -- writer: writes ---------------------------------------------------------------

    def write_batch(self, session: Session, writes: BatchWrites) -> None:
        """One batch's writes: its runs, states, checks' and monitors' columns, state
        changes and rollups."""
        self.insert_runs(session, writes.runs)
        self.upsert_states(session, writes.states)
        self.update_checks(session, writes.checks)
        self.insert_state_changes(session, writes.changes)
        self.update_monitors(session, writes.monitors)
        self.upsert_rollups(session, writes.rollups)
        self.upsert_minute_rollups(session, writes.minutes)

    def insert_runs(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """Store runs; a run with a slot replaces the run in that slot of its check's ring,
        under a new id (ids are never reused)."""
        if not rows:
            return
        if session.get_bind().dialect.name != "postgresql":
            session.execute(insert(RUNS).prefix_with("OR REPLACE"), rows)
            return
        unslotted = [row for row in rows if row["slot"] is None]
        slotted = [row for row in rows if row["slot"] is not None]
        if unslotted:
            session.execute(insert(RUNS), unslotted)
        if slotted:
            stmt = postgresql.insert(RUNS)
            fresh_id = func.nextval(func.pg_get_serial_sequence(RUNS.name, "id"))
            replace = {name: stmt.excluded[name] for name in RUN_COLUMNS} | {"id": fresh_id}
            session.execute(
                stmt.on_conflict_do_update(index_elements=["check_id", "slot"], set_=replace), slotted
            )

    def upsert_states(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._upsert(session, STATES, rows, ["check_id"], lambda ex: {n: ex[n] for n in _STATE_FIELDS})

    def update_checks(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """Bulk update by primary key (`id`); rows are grouped by the keys they carry."""
        for keys, group in group_by_keys(rows).items():
            stmt = (
                update(CHECKS)
                .where(CHECKS.c.id == bindparam("b_id"))
                .values({key: bindparam(f"b_{key}") for key in keys})
            )
            session.execute(stmt, [{f"b_{key}": value for key, value in row.items()} for row in group])

    def update_monitors(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """Set `latest_run_date` and `summarized_check_result` of each monitor (`id`)."""
        if rows:
            self.update_by_id(session, MONITORS, rows)

    def update_by_id(self, session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
        keys = [key for key in rows[0] if key != "id"]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in keys}),
            [{f"b_{name}": row[name] for name in (*keys, "id")} for row in rows],
        )

    def insert_state_changes(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if rows:
            session.execute(insert(CHANGES), rows)

    def open_downtime(self, session: Session, monitor_id: int, check_id: int, started_at: datetime) -> None:
        session.add(DowntimePeriod(monitor_id=monitor_id, check_id=check_id, started_at=started_at))

    def close_downtime(self, session: Session, check_id: int, ended_at: datetime) -> None:
        session.execute(
            update(DowntimePeriod)
            .where(DowntimePeriod.check_id == check_id, DowntimePeriod.ended_at.is_(None))
            .values(ended_at=ended_at)
        )

    def upsert_rollups(self, session: Session, rows: list[list[Any]]) -> None:
        """Add each row (values in ROLLUP_COLUMNS order) to its (check, hour) rollup."""
        self._add_up(session, ROLLUPS, ROLLUP_COLUMNS, ROLLUP_KEY, ROLLUP_SUMMED, ROLLUP_EXTREMES, rows)

    def upsert_minute_rollups(self, session: Session, rows: list[list[Any]]) -> None:
        """Append each row's packed minutes (check id, half hour, data) to its row's data."""
        if rows:
            dicts = [dict(zip(MINUTE_COLUMNS, row, strict=True)) for row in rows]
            # Cast: SQLite's `||` makes text even of two blobs.
            appended = lambda ex: {"data": sa_cast(MINUTES.c.data.concat(ex.data), LargeBinary)}  # noqa: E731
            self._upsert(session, MINUTES, dicts, list(MINUTE_KEY), appended)

    def _add_up(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        key: Sequence[str],
        summed: Sequence[str],
        extremes: dict[str, str],
        rows: list[list[Any]],
    ) -> None:
        if not rows:
            return
        dialect = session.get_bind().dialect.name

        def merge(excluded: Any) -> dict[str, Any]:
            merged: dict[str, Any] = {name: table.c[name] + excluded[name] for name in summed}
            for name, extreme in extremes.items():
                merged[name] = _extreme(extreme, table.c[name], excluded[name], dialect)
            return merged

        dicts = [dict(zip(columns, row, strict=True)) for row in rows]
        self._upsert(session, table, dicts, list(key), merge)

    def apply_findings(
        self, session: Session, check_id: int, change: FindingsDiff, seen_at: datetime
    ) -> None:
        """Record one run's findings: new ones open (again), the others are touched or resolved."""
        f = FINDINGS.c
        if change.new:
            rows = [
                {
                    "check_id": check_id,
                    "key": finding.key,
                    "payload": dict(finding.payload),
                    "first_seen_at": seen_at,
                    "last_seen_at": seen_at,
                    "resolved_at": None,
                }
                for finding in change.new
            ]
            # A key resolved earlier opens anew, first seen now.
            self._upsert(
                session,
                FINDINGS,
                rows,
                ["check_id", "key"],
                lambda ex: {
                    name: ex[name] for name in ("payload", "first_seen_at", "last_seen_at", "resolved_at")
                },
            )
        if change.changed:
            session.execute(
                update(FINDINGS)
                .where(f.check_id == check_id, f.key == bindparam("b_key"))
                .values(payload=bindparam("b_payload"), last_seen_at=seen_at),
                [{"b_key": finding.key, "b_payload": dict(finding.payload)} for finding in change.changed],
            )
        for keys, values in (
            (change.unchanged, {"last_seen_at": seen_at}),
            (change.resolved, {"resolved_at": seen_at}),
        ):
            if keys:
                session.execute(
                    update(FINDINGS).where(f.check_id == check_id, f.key.in_(keys)).values(**values)
                )

    @staticmethod
    def _upsert(
        session: Session, table: Table, rows: list[dict[str, Any]], keys: list[str], set_: Any
    ) -> None:
        stmt: Any
        if session.get_bind().dialect.name == "postgresql":
            stmt = postgresql.insert(table)
        else:
            stmt = sqlite.insert(table)
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=set_(stmt.excluded))
        session.execute(stmt, rows)


def batch_check_from(head: Sequence[Any], settings: dict[str, Any], state: Sequence[Any]) -> BatchCheck:
    return BatchCheck(
        head[0],
        head[1],
        head[2],
        bool(head[3]),
        head[4],
        settings,
        None if state[0] is None else StoredState(head[0], *state),
    )


def group_by_keys(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(tuple(sorted(key for key in row if key != "id")), []).append(row)
    return grouped


def _extreme(kind: str, a: ColumnElement[Any], b: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":  # least/greatest ignore NULLs
        return func.least(a, b) if kind == "min" else func.greatest(a, b)
    fn = func.min if kind == "min" else func.max
    return fn(func.coalesce(a, b), func.coalesce(b, a))


def engine_store_for(dialect: str, *, fast_path: bool = True) -> EngineStore:
    """The store for a database dialect: SQLite's fast path unless told otherwise."""
    if dialect == "sqlite" and fast_path:
        from lookout.store.repositories.engine_sqlite import SqliteEngineStore

        return SqliteEngineStore()
    return EngineStore()
