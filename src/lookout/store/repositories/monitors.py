"""Monitors, their checks and tags. Reads return Core rows: listing 200 monitors with
thirteen checks each must not build thousands of ORM objects."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar

import orjson
from sqlalchemy import Row, Text, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from lookout.store.db import utcnow
from lookout.store.tables import Check, Monitor, MonitorTag, Tag, TeamMonitorCount

MONITOR_COLUMNS = tuple(Monitor.__table__.c)
# What `checks_of` and `check_record` hand their `make` (in this order); the caller's
# record type mirrors it.
CHECK_COLUMNS = (
    Check.id,
    Check.monitor_id,
    Check.type,
    Check.enabled,
    # As stored JSON text: listings emit it as is, so neither SQLAlchemy nor psycopg parses it.
    cast(Check.settings, Text),
    Check.latest_run_ended_at,
    Check.latest_run_result,
    Check.summary,
)

RecordT = TypeVar("RecordT")
# A record made from one row of CHECK_COLUMNS, e.g. a named tuple's `_make`.
MakeRecord = Callable[[Sequence[Any]], RecordT]


# What `page_of_monitors` hands its `make` (in this order): the services' monitor record.
RECORD_COLUMNS = (
    Monitor.id,
    Monitor.team_id,
    Monitor.type,
    Monitor.url,
    Monitor.sort_url,
    Monitor.friendly_name,
    Monitor.group_name,
    Monitor.description,
    Monitor.notes,
    Monitor.options,
    Monitor.badge_id,
    Monitor.latest_run_date,
    Monitor.summarized_check_result,
    Monitor.marked_for_deletion_at,
    Monitor.created_at,
    Monitor.updated_at,
)
_RECORD_DATETIMES = (11, 13, 14, 15)
_RECORD_OPTIONS = 9


def page_of_monitors(
    session: Session, team_ids: Collection[int], offset: int, limit: int, make: MakeRecord[RecordT]
) -> tuple[list[RecordT], int]:
    """A page of the teams' monitors in id order, each made by `make` from a RECORD_COLUMNS
    row (datetimes aware UTC, options parsed), and the teams' monitor count."""
    where = Monitor.team_id.in_(team_ids)
    total = monitor_count(session, team_ids)
    # The page's ids first, from the (team_id, id) index alone, then their rows: OFFSET
    # skips index entries instead of table rows. At 100,000 monitors on SQLite (pages of
    # 200 at random offsets, count included) the median went from 8.4 ms to 7.4 ms.
    page = select(Monitor.id).where(where).order_by(Monitor.id).offset(offset).limit(limit)
    # Plain DBAPI rows, converted here: SQLAlchemy's rows, its regex datetime parsing and
    # attribute reads by name took 2.5 ms of a 200-monitor page (0.6 ms this way).
    result = session.connection().execute(
        select(*RECORD_COLUMNS).where(Monitor.id.in_(page)).order_by(Monitor.id)
    )
    records = []
    for row in result.cursor.fetchall():
        values = list(row)
        for index in _RECORD_DATETIMES:
            values[index] = _as_utc(values[index])
        options = values[_RECORD_OPTIONS]
        if isinstance(options, str | bytes):  # SQLite's JSON text; psycopg parses JSON itself
            values[_RECORD_OPTIONS] = orjson.loads(options)
        records.append(make(values))
    return records, total


_INSERT_MONITOR = insert(Monitor).returning(Monitor.id)


def insert_monitor(session: Session, values: dict[str, Any]) -> int:
    """A new monitor's id. Core rather than the ORM: creating a monitor and its thirteen
    checks as ORM objects took half of a create's time."""
    return int(session.connection().execute(_INSERT_MONITOR, values).scalar_one())


def insert_checks(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert checks in one statement; their ids, in the order of `rows`."""
    result = session.connection().execute(
        insert(Check).returning(Check.id, sort_by_parameter_order=True), list(rows)
    )
    return [int(check_id) for check_id in result.scalars()]


_MONITOR_ROW = select(*MONITOR_COLUMNS).where(
    Monitor.id == bindparam("id"), Monitor.team_id.in_(bindparam("team_ids", expanding=True))
)


def monitor_row(session: Session, monitor_id: int, team_ids: Collection[int]) -> Row[Any] | None:
    values = {"id": monitor_id, "team_ids": list(team_ids)}
    return session.connection().execute(_MONITOR_ROW, values).first()


def monitor_row_by_url(session: Session, url: str, team_ids: Collection[int]) -> Row[Any] | None:
    variants = {url, url.rstrip("/"), url.rstrip("/") + "/"}
    return session.execute(
        select(*MONITOR_COLUMNS)
        .where(Monitor.url.in_(variants), Monitor.team_id.in_(team_ids))
        .order_by(Monitor.id)
        .limit(1)
    ).first()


_MONITOR_COUNT = select(func.sum(TeamMonitorCount.monitors)).where(
    TeamMonitorCount.team_id.in_(bindparam("team_ids", expanding=True))
)


def monitor_count(session: Session, team_ids: Collection[int]) -> int:
    """The teams' monitors, from the counts the database keeps (migration 0022): counting
    100,000 entries of ix_monitors_team_id_id took 3 ms a page."""
    counted = session.connection().execute(_MONITOR_COUNT, {"team_ids": list(team_ids)}).scalar()
    return int(counted or 0)


def total_monitors(session: Session) -> int:
    return int(session.scalar(select(func.sum(TeamMonitorCount.monitors))) or 0)


def team_monitor_count(session: Session, team_id: int) -> int:
    """The team's monitors."""
    return monitor_count(session, (team_id,))


# Built once: composing the statement cost more than running it (0.1 ms of a create).
_URL_TAKEN = (
    select(Monitor.id)
    .where(
        Monitor.team_id == bindparam("team_id"),
        Monitor.type == bindparam("type"),
        Monitor.url == bindparam("url"),
        Monitor.id != bindparam("exclude_id"),
    )
    .limit(1)
)


def url_taken(session: Session, team_id: int, monitor_type: str, url: str, exclude_id: int | None) -> bool:
    values = {"team_id": team_id, "type": monitor_type, "url": url, "exclude_id": exclude_id or 0}
    return session.connection().execute(_URL_TAKEN, values).first() is not None


# Built once with an expanding parameter: a page's 200 ids are bound, not coerced one by one.
_CHECKS_OF_MONITORS = select(*CHECK_COLUMNS).where(Check.monitor_id.in_(bindparam("ids", expanding=True)))


def checks_of(
    session: Session, monitor_ids: Sequence[int], make: MakeRecord[RecordT]
) -> dict[int, list[RecordT]]:
    """Each monitor's checks in id order, each made by `make` from a CHECK_COLUMNS row."""
    by_monitor: dict[int, list[RecordT]] = defaultdict(list)
    if not monitor_ids:
        return by_monitor
    # The hottest read of a listing (thirteen checks for each of 200 monitors): plain DBAPI
    # rows cost a fifth of SQLAlchemy's Row objects here, and no ORDER BY spares SQLite a
    # temp B-tree (rows are sorted here instead). The two dialect differences are evened
    # out below.
    result = session.connection().execute(_CHECKS_OF_MONITORS, {"ids": list(monitor_ids)})
    for row in sorted(result.cursor.fetchall(), key=_by_id):
        # SQLite's 0/1 for `enabled` compare equal to bools and stay; datetimes need work.
        if row[5] is not None:
            row = (*row[:5], _as_utc(row[5]), *row[6:])
        by_monitor[row[1]].append(make(row))
    return by_monitor


def _as_utc(value: datetime | str | None) -> datetime | None:
    """SQLite hands back stored datetimes as text, PostgreSQL as naive datetimes; both are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


_by_id = itemgetter(0)


_TAGS_OF_MONITORS = (
    select(MonitorTag.monitor_id, Tag.name)
    .join(Tag, Tag.id == MonitorTag.tag_id)
    .where(MonitorTag.monitor_id.in_(bindparam("ids", expanding=True)))
    .order_by(Tag.name)
)


def tags_of(session: Session, monitor_ids: Sequence[int]) -> dict[int, list[str]]:
    by_monitor: dict[int, list[str]] = defaultdict(list)
    if not monitor_ids:
        return by_monitor
    rows = session.connection().execute(_TAGS_OF_MONITORS, {"ids": list(monitor_ids)})
    for monitor_id, name in rows:
        by_monitor[monitor_id].append(name)
    return by_monitor


def check_record(
    session: Session, check_id: int, team_ids: Collection[int], make: MakeRecord[RecordT]
) -> RecordT | None:
    row = (
        session.connection()
        .execute(
            select(*CHECK_COLUMNS)
            .join(Monitor, Monitor.id == Check.monitor_id)
            .where(Check.id == check_id, Monitor.team_id.in_(team_ids))
        )
        .first()
    )
    return make(row) if row else None


def set_tags(session: Session, team_id: int, monitor_id: int, names: Sequence[str]) -> None:
    """Replace a monitor's tags, creating the team's missing tags on the fly; flushed, so the
    reads that follow on the session's connection see them."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    existing = {
        tag.name: tag.id
        for tag in session.execute(
            select(Tag.id, Tag.name).where(Tag.team_id == team_id, Tag.name.in_(wanted))
        )
    }
    now = utcnow()
    for name in wanted:
        if name not in existing:
            tag = Tag(team_id=team_id, name=name, slug=slugify(name), created_at=now, updated_at=now)
            session.add(tag)
            session.flush()
            existing[name] = tag.id
    session.execute(delete(MonitorTag).where(MonitorTag.monitor_id == monitor_id))
    for name in wanted:
        session.add(MonitorTag(monitor_id=monitor_id, tag_id=existing[name]))
    session.flush()


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tag"


def update_monitor(session: Session, monitor_id: int, values: dict[str, Any]) -> None:
    session.execute(update(Monitor).where(Monitor.id == monitor_id).values(**values))


def update_check(session: Session, check_id: int, values: dict[str, Any]) -> None:
    session.execute(update(Check).where(Check.id == check_id).values(**values))


def delete_monitor(session: Session, monitor_id: int) -> None:
    session.execute(delete(Monitor).where(Monitor.id == monitor_id))
