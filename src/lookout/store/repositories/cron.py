"""Named queries over scheduled tasks (cron check definitions), their pings and snoozes.

The ping path is two statements per batch of pings (one read by uuid, one UPDATE per task
through executemany); the sweep reads only the tasks whose `wake_at` has come (indexed).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, and_, bindparam, case, delete, func, select, update
from sqlalchemy.orm import Session

from lookout.model.check_type import CheckType
from lookout.store.db import UtcDateTime
from lookout.store.tables.cron import CronCheck, CronCheckSnooze
from lookout.store.tables.monitor import Check, Monitor

T = CronCheck.__table__.c


def monitor_of_team(session: Session, monitor_id: int, team_ids: Collection[int]) -> tuple[int, str] | None:
    """(id, type) of the monitor if it belongs to one of `team_ids`."""
    row = session.execute(
        select(Monitor.id, Monitor.type).where(Monitor.id == monitor_id, Monitor.team_id.in_(team_ids))
    ).first()
    return None if row is None else (row[0], row[1])


def tasks_of_monitor(
    session: Session, monitor_id: int, offset: int = 0, limit: int | None = None
) -> tuple[list[CronCheck], int]:
    where = CronCheck.monitor_id == monitor_id
    total = session.scalar(select(func.count()).select_from(CronCheck).where(where)) or 0
    query = select(CronCheck).where(where).order_by(CronCheck.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def task_of_team(session: Session, task_id: int, team_ids: Collection[int]) -> CronCheck | None:
    return session.scalar(
        select(CronCheck)
        .join(Monitor, Monitor.id == CronCheck.monitor_id)
        .where(CronCheck.id == task_id, Monitor.team_id.in_(team_ids))
    )


def add_task(session: Session, values: dict[str, Any]) -> CronCheck:
    task = CronCheck(**values)
    session.add(task)
    session.flush()
    return task


def delete_tasks(session: Session, task_ids: Collection[int]) -> None:
    if task_ids:
        session.execute(delete(CronCheck).where(CronCheck.id.in_(list(task_ids))))


def enable_cron_check(session: Session, monitor_id: int, now: datetime) -> None:
    """Turn the monitor's `cron` check on (a monitor with tasks watches them)."""
    session.execute(
        update(Check)
        .where(Check.monitor_id == monitor_id, Check.type == CheckType.CRON.value, Check.enabled.is_(False))
        .values(enabled=True, updated_at=now)
    )


def cron_check_ids(session: Session, monitor_ids: Collection[int]) -> dict[int, int]:
    """monitor id → id of its enabled `cron` check."""
    if not monitor_ids:
        return {}
    rows = session.execute(
        select(Check.monitor_id, Check.id).where(
            Check.monitor_id.in_(list(monitor_ids)),
            Check.type == CheckType.CRON.value,
            Check.enabled.is_(True),
        )
    )
    return {row[0]: row[1] for row in rows}


# -- pings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PingTarget:
    """What the ping path reads of a task: its schedule and what was last reported."""

    id: int
    type: str
    frequency_in_minutes: int | None
    grace_time_in_minutes: int
    cron_expression: str | None
    server_timezone: str | None
    reported_status: str
    snoozed_until: datetime | None


def ping_targets(session: Session, uuids: Collection[str]) -> dict[str, PingTarget]:
    rows = session.execute(
        select(
            T.uuid,
            T.id,
            T.type,
            T.frequency_in_minutes,
            T.grace_time_in_minutes,
            T.cron_expression,
            T.server_timezone,
            T.reported_status,
            T.snoozed_until,
        ).where(T.uuid.in_(list(uuids)))
    )
    return {row[0]: PingTarget(*row[1:]) for row in rows}


_PING_UPDATE = (
    update(cast(Table, CronCheck.__table__))
    .where(T.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        deadline_at=bindparam("b_deadline_at"),
        started_at=bindparam("b_started_at"),
        # Now if what the monitor's check was told differs from what this ping means (read
        # in the same statement, so a concurrent sweep cannot slip between), else the deadline.
        wake_at=case(
            (
                T.reported_status == bindparam("b_effective", type_=String()),
                bindparam("b_deadline_wake", type_=UtcDateTime()),
            ),
            else_=bindparam("b_now", type_=UtcDateTime()),
        ),
        version=T.version + 1,
        latest_result=bindparam("b_latest_result"),
        latest_ping_at=bindparam("b_latest_ping_at"),
        latest_memory=bindparam("b_latest_memory"),
        latest_runtime=bindparam("b_latest_runtime"),
        latest_exit_code=bindparam("b_latest_exit_code"),
        latest_failure_message=bindparam("b_latest_failure_message"),
    )
)


def record_pings(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One UPDATE per ping (executemany); each dict's keys are the `b_*` parameters."""
    if rows:
        session.connection().execute(_PING_UPDATE, list(rows))


# -- sweep ----------------------------------------------------------------------------


def waking(session: Session, now: datetime, limit: int) -> list[CronCheck]:
    """Tasks whose `wake_at` has come, oldest first (the index on wake_at serves this)."""
    return list(
        session.scalars(
            select(CronCheck).where(CronCheck.wake_at <= now).order_by(CronCheck.wake_at).limit(limit)
        )
    )


def settle(session: Session, task_id: int, version: int, values: dict[str, Any]) -> bool:
    """Write what the sweep decided, unless a ping or an edit came in meanwhile."""
    result = session.execute(
        update(CronCheck).where(and_(CronCheck.id == task_id, CronCheck.version == version)).values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


# -- snoozes --------------------------------------------------------------------------


def active_snoozes(session: Session, task_ids: Collection[int], now: datetime) -> dict[int, CronCheckSnooze]:
    if not task_ids:
        return {}
    rows = session.scalars(
        select(CronCheckSnooze)
        .where(CronCheckSnooze.cron_check_id.in_(list(task_ids)), CronCheckSnooze.ends_at > now)
        .order_by(CronCheckSnooze.ends_at)
    )
    return {row.cron_check_id: row for row in rows}


def add_snooze(
    session: Session, task_id: int, starts_at: datetime, ends_at: datetime, by: str | None, source: str
) -> CronCheckSnooze:
    snooze = CronCheckSnooze(
        cron_check_id=task_id,
        starts_at=starts_at,
        ends_at=ends_at,
        snoozed_by=by,
        source=source,
        created_at=starts_at,
    )
    session.add(snooze)
    session.flush()
    return snooze


def end_snoozes(session: Session, task_id: int, now: datetime, by: str | None) -> None:
    session.execute(
        update(CronCheckSnooze)
        .where(CronCheckSnooze.cron_check_id == task_id, CronCheckSnooze.ends_at > now)
        .values(ends_at=now, unsnoozed_by=by)
    )
