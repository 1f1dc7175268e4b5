"""Named queries the engine's scheduler and result writer run; plain rows in and out.

The scheduler's claim and the writer's batch statements are the engine's hottest code: on
SQLite they run on the DBAPI connection (`engine_sqlite`), on other dialects as Core
statements. tests/engine runs the batch path both ways on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lookout.store.repositories import engine_sqlite as fast
from lookout.store.tables import (
    Check,
    CheckRun,
    CheckState,
    DowntimePeriod,
    Monitor,
    StateChange,
    UptimeRollup,
)

_RUNS = cast(Table, CheckRun.__table__)
_CHECKS = cast(Table, Check.__table__)
_STATES = cast(Table, CheckState.__table__)
_MONITORS = cast(Table, Monitor.__table__)
_ROLLUPS = cast(Table, UptimeRollup.__table__)


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


# What a job is built from, in DueCheck's order (due_at is added by the caller).
_JOB_COLUMNS = (Check.id, Check.monitor_id, Check.type, Monitor.type, Monitor.url, Check.settings)


def _due_select(check_types: Sequence[str]) -> Any:
    return (
        select(*_JOB_COLUMNS, Check.next_run_at)
        .join(Monitor, Monitor.id == Check.monitor_id)
        .where(
            Check.enabled.is_(True),
            Check.type.in_(check_types),
            Monitor.marked_for_deletion_at.is_(None),
        )
    )


def claim_due(
    session: Session,
    now: datetime,
    check_types: Sequence[str],
    limit: int,
    claim_until: datetime,
) -> list[DueCheck]:
    """Due checks (next_run_at passed or never set), pushed to `claim_until`.

    The claim keeps the next tick (or another scheduler) from enqueuing them again; the
    result writer replaces it with the real next run. A claim whose job died runs out and
    the check becomes due again: that is how a crash resumes.
    """
    if limit <= 0 or not check_types:
        return []
    if _is_sqlite(session):
        return [DueCheck(*row) for row in fast.claim_due(session, now, check_types, limit, claim_until)]
    base = _due_select(check_types)
    never = base.where(Check.next_run_at.is_(None)).limit(limit)
    due = base.where(Check.next_run_at <= now).order_by(Check.next_run_at).limit(limit)
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
    return [DueCheck(row[0], row[1], row[2], row[3], row[4], row[5] or {}, row[6] or now) for row in rows]


def release_claims(session: Session, due_at: dict[int, datetime]) -> None:
    """Give queued-but-unrun checks their due time back (a clean stop)."""
    if due_at:
        session.execute(
            update(Check),
            [{"id": check_id, "next_run_at": at} for check_id, at in due_at.items()],
        )


def job_source(session: Session, check_id: int, now: datetime) -> DueCheck | None:
    row = session.execute(
        select(*_JOB_COLUMNS).join(Monitor, Monitor.id == Check.monitor_id).where(Check.id == check_id)
    ).first()
    if row is None:
        return None
    return DueCheck(row[0], row[1], row[2], row[3], row[4], row[5] or {}, now)


@dataclass(slots=True)
class StoredState:
    check_id: int
    status: str
    failures_in_a_row: int
    successes_in_a_row: int
    failing_since: datetime | None
    last_run_at: datetime | None
    changed_at: datetime | None


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


# Force the Core path on SQLite too (tests run the batch both ways).
USE_SQLITE_FAST_PATH = True


def batch_checks(
    session: Session, monitor_ids: Iterable[int], settings_of: Sequence[str] = ()
) -> dict[int, BatchCheck]:
    """check id → every check of these monitors, with its state; settings of `settings_of` types."""
    monitor_ids = set(monitor_ids)
    if not monitor_ids:
        return {}
    if _is_sqlite(session):
        rows = fast.batch_checks(session, monitor_ids, settings_of)
    else:
        c, st = _CHECKS.c, _STATES.c
        query = (
            select(
                c.id,
                c.monitor_id,
                c.type,
                c.enabled,
                c.latest_run_result,
                c.settings,
                *(st[name] for name in STATE_COLUMNS[1:]),
            )
            .select_from(_CHECKS.outerjoin(_STATES, st.check_id == c.id))
            .where(c.monitor_id.in_(monitor_ids))
        )
        rows = [
            (*row[:5], (row[5] or {}) if row[2] in settings_of else {}, *row[6:])
            for row in session.execute(query)
        ]
    return {
        row[0]: BatchCheck(
            row[0],
            row[1],
            row[2],
            bool(row[3]),
            row[4],
            row[5],
            None if row[6] is None else StoredState(row[0], *row[6:]),
        )
        for row in rows
    }


def recent_averages(session: Session, check_ids: Iterable[int], since: datetime) -> dict[int, float]:
    rows = session.execute(
        select(CheckRun.check_id, func.avg(CheckRun.total_ms))
        .where(CheckRun.check_id.in_(set(check_ids)), CheckRun.started_at >= since)
        .group_by(CheckRun.check_id)
    )
    return {row[0]: float(row[1]) for row in rows if row[1] is not None}


RUN_COLUMNS = (
    "check_id",
    "monitor_id",
    "result",
    "summary",
    "started_at",
    "ended_at",
    "location",
    "total_ms",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "first_byte_ms",
    "download_ms",
    "details",
)
STATE_COLUMNS = (
    "check_id",
    "status",
    "failures_in_a_row",
    "successes_in_a_row",
    "failing_since",
    "last_run_at",
    "changed_at",
)
def _is_sqlite(session: Session) -> bool:
    return USE_SQLITE_FAST_PATH and session.get_bind().dialect.name == "sqlite"


def insert_runs(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if _is_sqlite(session):
        fast.executemany(session, fast.insert_sql("check_runs", RUN_COLUMNS), rows, RUN_COLUMNS)
    else:
        session.execute(insert(_RUNS), rows)


def _upsert(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str], set_: Any) -> None:
    dialect = session.get_bind().dialect.name
    stmt: Any
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=set_(stmt.excluded, dialect))
    session.execute(stmt, rows)


def upsert_states(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    fields = [key for key in STATE_COLUMNS if key != "check_id"]
    if _is_sqlite(session):
        sql = fast.insert_sql("check_states", STATE_COLUMNS) + (
            " ON CONFLICT (check_id) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in fields)
        )
        fast.executemany(session, sql, rows, STATE_COLUMNS)
        return
    _upsert(
        session,
        _STATES,
        rows,
        ["check_id"],
        lambda excluded, _dialect: {name: excluded[name] for name in fields},
    )


def update_checks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk update by primary key; rows are grouped by the keys they carry."""
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_keys.setdefault(tuple(sorted(key for key in row if key != "id")), []).append(row)
    table = _CHECKS
    sqlite_ = _is_sqlite(session)
    for keys, group in by_keys.items():
        if sqlite_:
            sql = f"UPDATE checks SET {', '.join(f'{key} = ?' for key in keys)} WHERE id = ?"
            fast.executemany(session, sql, group, (*keys, "id"))
        else:
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({key: bindparam(f"b_{key}") for key in keys})
            )
            session.execute(stmt, [{f"b_{key}": value for key, value in row.items()} for row in group])


def insert_state_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(StateChange), rows)


def open_downtime(session: Session, monitor_id: int, check_id: int, started_at: datetime) -> None:
    session.add(DowntimePeriod(monitor_id=monitor_id, check_id=check_id, started_at=started_at))


def close_downtime(session: Session, check_id: int, ended_at: datetime) -> None:
    session.execute(
        update(DowntimePeriod)
        .where(DowntimePeriod.check_id == check_id, DowntimePeriod.ended_at.is_(None))
        .values(ended_at=ended_at)
    )


def update_monitors(session: Session, rows: list[dict[str, Any]]) -> None:
    """Set `latest_run_date` and `summarized_check_result` of each monitor (`id`) in rows."""
    if not rows:
        return
    columns = ("latest_run_date", "summarized_check_result", "id")
    if _is_sqlite(session):
        sql = "UPDATE monitors SET latest_run_date = ?, summarized_check_result = ? WHERE id = ?"
        fast.executemany(session, sql, rows, columns)
        return
    table = _MONITORS
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns[:2]}),
        [{f"b_{name}": row[name] for name in columns} for row in rows],
    )


def _least(a: ColumnElement[Any], b: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.least(a, b)  # ignores NULLs
    return func.min(func.coalesce(a, b), func.coalesce(b, a))


def _greatest(a: ColumnElement[Any], b: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.greatest(a, b)
    return func.max(func.coalesce(a, b), func.coalesce(b, a))


_SUMMED = (
    "runs",
    "failed_runs",
    "up_seconds",
    "down_seconds",
    "timed_runs",
    "sum_total_ms",
    "sum_dns_ms",
    "sum_connect_ms",
    "sum_tls_ms",
    "sum_first_byte_ms",
    "sum_download_ms",
)


ROLLUP_COLUMNS = ("check_id", "bucket", "bucket_start", *_SUMMED, "min_total_ms", "max_total_ms")


def _sqlite_rollup_sql(columns: Sequence[str] = ROLLUP_COLUMNS) -> str:
    summed = ", ".join(f"{name} = uptime_rollups.{name} + excluded.{name}" for name in _SUMMED)
    extremes = ", ".join(
        f"{name} = {fn}(coalesce(uptime_rollups.{name}, excluded.{name}), "
        f"coalesce(excluded.{name}, uptime_rollups.{name}))"
        for name, fn in (("min_total_ms", "min"), ("max_total_ms", "max"))
    )
    return (
        fast.insert_sql("uptime_rollups", columns)
        + f" ON CONFLICT (check_id, bucket, bucket_start) DO UPDATE SET {summed}, {extremes}"
    )


_SQLITE_ROLLUP_SQL = _sqlite_rollup_sql()


def upsert_rollup_values(session: Session, columns: Sequence[str], rows: list[list[Any]]) -> None:
    """`upsert_rollups` for rows given as value lists in `columns` order (every column)."""
    if not rows:
        return
    if _is_sqlite(session):
        sql = _ROLLUP_SQL.get(tuple(columns))
        if sql is None:
            sql = _ROLLUP_SQL[tuple(columns)] = _sqlite_rollup_sql(columns)
        fast.executemany_values(session, sql, rows, columns)
        return
    upsert_rollups(session, [dict(zip(columns, row, strict=True)) for row in rows])


_ROLLUP_SQL: dict[tuple[str, ...], str] = {}


def upsert_rollups(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add each row's counts to its (check, bucket, bucket_start) rollup."""
    if not rows:
        return
    if _is_sqlite(session):
        fast.executemany(session, _SQLITE_ROLLUP_SQL, rows, ROLLUP_COLUMNS)
        return
    table = _ROLLUPS

    def merge(excluded: Any, dialect: str) -> dict[str, Any]:
        merged: dict[str, Any] = {name: table.c[name] + excluded[name] for name in _SUMMED}
        merged["min_total_ms"] = _least(table.c.min_total_ms, excluded.min_total_ms, dialect)
        merged["max_total_ms"] = _greatest(table.c.max_total_ms, excluded.max_total_ms, dialect)
        return merged

    _upsert(session, table, rows, ["check_id", "bucket", "bucket_start"], merge)
