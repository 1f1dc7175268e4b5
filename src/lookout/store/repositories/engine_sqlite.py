"""The engine's hottest statements for SQLite, on the session's own DBAPI connection.

SQLAlchemy's result rows and bind processing cost more per row than SQLite itself does, so
the scheduler's claim and the writer's batch reads and writes talk to `sqlite3` directly,
inside the session's transaction (bench/engine.py --core measures the difference). Values
are in SQLAlchemy's storage format (naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`, JSON text; a
run's times and timings as integers, encoded by their column type's own function), so
every other reader sees the same rows. Id lists travel as one JSON array (`json_each`)
rather than a thousand bind parameters. Column lists come from engine.py, read off the
tables, so both paths write the same columns in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy.orm import Session

from lookout.store.packed_json import pack
from lookout.store.repositories.engine import (
    DATETIME_COLUMNS,
    JSON_COLUMNS,
    MINUTE_COLUMNS,
    ROLLUP_COLUMNS,
    ROLLUP_EXTREMES,
    ROLLUP_KEY,
    ROLLUP_SUMMED,
    RUN_COLUMNS,
    RUN_ENCODED,
    RUN_PACKED,
    STATE_COLUMNS,
    BatchCheck,
    BatchWrites,
    DueCheck,
    EngineStore,
    batch_check_from,
    group_by_keys,
)


def cursor(session: Session) -> Any:
    """A cursor on the connection the session's transaction runs on."""
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def to_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is UTC:  # the engine's own datetimes: cut the "+00:00"
        return value.isoformat(" ", "microseconds")[:26]
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def from_text(value: str | None) -> datetime | None:
    # Parsing the offset gives the `UTC` singleton: 0.17 µs a value where .replace(tzinfo=)
    # after the parse took 1.6 (the writer reads about six a check).
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def ids_json(ids: Iterable[int | str]) -> str:
    return orjson.dumps(list(ids)).decode()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def params(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    packed: Collection[str] = (),
    encoded: Mapping[str, Callable[[Any], Any]] | None = None,
) -> list[list[Any]]:
    """Rows as parameter lists in `columns` order, datetimes and JSON converted (`packed`
    columns deflated as PackedJSON stores them; `encoded` ones by their function, None
    staying None)."""
    encoded = encoded or {}
    get = itemgetter(*columns)
    fixes: list[tuple[int, Callable[[Any], Any]]] = [
        (index, encoded.get(name) or to_text)
        for index, name in enumerate(columns)
        if name in encoded or name in DATETIME_COLUMNS
    ] + [
        (index, pack if name in packed else _json)
        for index, name in enumerate(columns)
        if name in JSON_COLUMNS or name in packed
    ]
    out: list[list[Any]] = []
    seen: dict[tuple[Any, datetime], Any] = {}  # a batch repeats its `now`, bucket and run starts
    for row in rows:
        values = list(get(row)) if len(columns) > 1 else [get(row)]
        for index, fix in fixes:
            value = values[index]
            if isinstance(value, datetime):
                done = seen.get((fix, value))
                if done is None:
                    done = seen[(fix, value)] = fix(value)
                values[index] = done
            elif value is not None or fix is _json:
                values[index] = fix(value)
        out.append(values)
    return out


def values_params(rows: list[list[Any]], columns: Sequence[str]) -> list[list[Any]]:
    """Rows already as value lists in `columns` order, their datetimes converted in place."""
    datetimes = [index for index, name in enumerate(columns) if name in DATETIME_COLUMNS]
    seen: dict[Any, Any] = {}
    for row in rows:
        for index in datetimes:
            value = row[index]
            text = seen.get(value)
            if text is None:
                text = seen[value] = to_text(value)
            row[index] = text
    return rows


def insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_DUE = """
SELECT c.id, c.monitor_id, c.type, m.type, m.url, c.settings, c.next_run_at, m.team_id,
       coalesce(s.failures_in_a_row > 0 AND s.status <> 'down', 0)
FROM checks c JOIN monitors m ON m.id = c.monitor_id
LEFT JOIN check_states s ON s.check_id = c.id
WHERE c.type = ? AND c.enabled = 1 AND m.marked_for_deletion_at IS NULL
"""
_NEVER_RUN = _DUE + " AND c.next_run_at IS NULL LIMIT ?"
_OVERDUE = _DUE + " AND c.next_run_at <= ? ORDER BY c.next_run_at LIMIT ?"


def _claim_due(
    session: Session, now: datetime, check_types: Sequence[str], limit: int, claim_until: datetime
) -> list[tuple[int, int, str, str, str, dict[str, Any], datetime, int, bool]]:
    """(check id, monitor id, check type, monitor type, url, settings, due at, team id,
    confirming a failure) of claimed checks."""
    cur = cursor(session)
    rows: list[Any] = []
    # One query per type keeps each on its own (type, next_run_at) index range.
    for check_type in check_types:
        if len(rows) < limit:
            rows += cur.execute(_NEVER_RUN, (check_type, limit - len(rows))).fetchall()
    due: list[Any] = []
    for check_type in check_types:
        if len(rows) + len(due) < limit:
            room = limit - len(rows) - len(due)
            due += cur.execute(_OVERDUE, (check_type, to_text(now), room)).fetchall()
    # The most overdue first across types, as one ordered query would.
    rows += sorted(due, key=lambda row: str(row[6]))[: limit - len(rows)]
    if not rows:
        return []
    cur.execute(
        "UPDATE checks SET next_run_at = ? WHERE id IN (SELECT value FROM json_each(?))",
        (to_text(claim_until), ids_json(row[0] for row in rows)),
    )
    return [
        (
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            orjson.loads(row[5]) if row[5] else {},
            from_text(row[6]) or now,
            row[7],
            bool(row[8]),
        )
        for row in rows
    ]


# One row of JSON for the whole batch: sqlite3 gives up the interpreter lock for every row
# it steps to, and each time the writer thread waits to take it back from the busy event
# loop. With a Python thread busy 60% of the time beside it (as the loop is at 100,000
# monitors), a write of 300 results took 198 -> 176 ms (mean of 8 pairs, 7 faster); alone,
# no change. Writes stay executemany: one multi-row statement, or rows sent as JSON, cost
# 10-25% more alone and gained little or nothing beside the busy thread.
_BATCH_CHECKS = f"""
SELECT json_group_array(json_array(
       c.id, c.monitor_id, c.type, c.enabled, c.latest_run_result,
       CASE WHEN c.type IN (SELECT value FROM json_each(?)) THEN json(c.settings) END,
       {", ".join(f"s.{name}" for name in STATE_COLUMNS[1:])}))
FROM checks c LEFT JOIN check_states s ON s.check_id = c.id
WHERE c.monitor_id IN (SELECT value FROM json_each(?))
  AND ((c.enabled = 1 AND c.type IN (SELECT value FROM json_each(?)))
       OR c.id IN (SELECT value FROM json_each(?)))
"""
# Positions in a _BATCH_CHECKS row of the state columns stored as datetime text.
_STATE_DATETIMES = tuple(6 + i for i, name in enumerate(STATE_COLUMNS[1:]) if name in DATETIME_COLUMNS)


def _batch_checks(
    session: Session,
    monitor_ids: Iterable[int],
    check_ids: Iterable[int],
    settings_of: Sequence[str],
    types: Sequence[str],
) -> list[list[Any]]:
    """(id, monitor id, type, enabled, latest result, settings (only for `settings_of`
    types), then the state columns or Nones) of the monitors' enabled and the batch's checks."""
    (found,) = (
        cursor(session)
        .execute(
            _BATCH_CHECKS,
            (ids_json(settings_of), ids_json(monitor_ids), ids_json(types), ids_json(check_ids)),
        )
        .fetchone()
    )
    rows: list[list[Any]] = orjson.loads(found)
    for values in rows:
        values[3] = bool(values[3])
        values[5] = values[5] or {}
        for index in _STATE_DATETIMES:
            values[index] = from_text(values[index])
    return rows


def _add_up_sql(
    table: str, columns: Sequence[str], key: Sequence[str], summed: Sequence[str], extremes: dict[str, str]
) -> str:
    added = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in summed)
    kept = ", ".join(
        f"{name} = {fn}(coalesce({table}.{name}, excluded.{name}), coalesce(excluded.{name}, {table}.{name}))"
        for name, fn in extremes.items()
    )
    return insert_sql(table, columns) + f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}, {kept}"


_ROLLUP_SQL = _add_up_sql("uptime_hours", ROLLUP_COLUMNS, ROLLUP_KEY, ROLLUP_SUMMED, ROLLUP_EXTREMES)
# `||` makes text of two blobs in SQLite; the cast gives the same bytes back as a blob.
_MINUTE_SQL = insert_sql("minute_rollups", MINUTE_COLUMNS) + (
    " ON CONFLICT (check_id, half_hour)"
    " DO UPDATE SET data = CAST(minute_rollups.data || excluded.data AS BLOB)"
)
_STATE_SQL = insert_sql("check_states", STATE_COLUMNS) + (
    " ON CONFLICT (check_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in STATE_COLUMNS[1:])
)
# A run with a slot replaces its check's run in that slot (a new rowid: ids are not reused).
_RUN_SQL = insert_sql("check_runs", RUN_COLUMNS).replace("INSERT", "INSERT OR REPLACE", 1)


class SqliteEngineStore(EngineStore):
    """EngineStore with the scheduler's and writer's hot statements on sqlite3 directly."""

    dialect = "sqlite"

    def claim_due(
        self, session: Session, now: datetime, check_types: Sequence[str], limit: int, claim_until: datetime
    ) -> list[DueCheck]:
        if limit <= 0 or not check_types:
            return []
        return [DueCheck(*row) for row in _claim_due(session, now, check_types, limit, claim_until)]

    def batch_checks(
        self,
        session: Session,
        monitor_ids: Iterable[int],
        check_ids: Iterable[int],
        settings_of: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> dict[int, BatchCheck]:
        monitor_ids = set(monitor_ids)
        if not monitor_ids:
            return {}
        rows = _batch_checks(session, monitor_ids, check_ids, settings_of, types)
        return {row[0]: batch_check_from(row[:5], row[5], row[6:]) for row in rows}

    def write_batch(self, session: Session, writes: BatchWrites) -> None:
        # Every statement's parameters are built before the first write: SQLite takes the
        # file's write lock at the first write and holds it to the commit, and meanwhile
        # every other writer (an API create) waits. At 100,000 monitors the engine held it
        # 45-55% of the time with each list built just before its statement, 27-36% so.
        # The state changes go through SQLAlchemy: a batch rarely has any.
        statements = [
            *_run_statements(writes.runs),
            *_state_statements(writes.states),
            *_check_statements(writes.checks),
            *_monitor_statements(writes.monitors),
            *_rollup_statements(writes.rollups),
            *_minute_statements(writes.minutes),
        ]
        cur = cursor(session)
        for sql, rows in statements:
            cur.executemany(sql, rows)
        self.insert_state_changes(session, writes.changes)


# The writer's statements, each as (sql, parameter lists) ready for executemany.
_Statements = list[tuple[str, list[Any]]]


def _run_statements(rows: list[dict[str, Any]]) -> _Statements:
    return [(_RUN_SQL, params(rows, RUN_COLUMNS, RUN_PACKED, RUN_ENCODED))] if rows else []


def _state_statements(rows: list[dict[str, Any]]) -> _Statements:
    return [(_STATE_SQL, params(rows, STATE_COLUMNS))] if rows else []


def _check_statements(rows: list[dict[str, Any]]) -> _Statements:
    return [
        (_update_sql("checks", keys), params(group, (*keys, "id")))
        for keys, group in group_by_keys(rows).items()
    ]


def _monitor_statements(rows: list[dict[str, Any]]) -> _Statements:
    if not rows:
        return []
    keys = tuple(key for key in rows[0] if key != "id")
    return [(_update_sql("monitors", keys), params(rows, (*keys, "id")))]


def _update_sql(table: str, keys: Sequence[str]) -> str:
    return f"UPDATE {table} SET {', '.join(f'{key} = ?' for key in keys)} WHERE id = ?"


def _rollup_statements(rows: list[list[Any]]) -> _Statements:
    return [(_ROLLUP_SQL, values_params(rows, ROLLUP_COLUMNS))] if rows else []


def _minute_statements(rows: list[list[Any]]) -> _Statements:
    return [(_MINUTE_SQL, rows)] if rows else []  # integers and bytes: nothing to convert
