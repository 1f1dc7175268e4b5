"""Maintenance windows: stored periods and recurring windows, and the questions the rest of
Lookout asks of them ("is this monitor in maintenance now?", "which instants of this range
were maintenance?").

`in_maintenance` and `monitors_in_maintenance` are what notifications call before sending;
they live in the store so that notify and engine (which may not import services) can use
them. Recurring windows are expanded in the monitor's team time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from lookout.model import maintenance as windows
from lookout.model.maintenance import Interval, RecurringWindow
from lookout.store.tables import Monitor, Team
from lookout.store.tables.maintenance import MaintenancePeriod, RecurringMaintenancePeriod

_TICK = timedelta(microseconds=1)


def in_maintenance(session: Session, monitor_id: int, at: datetime) -> bool:
    """True when the monitor is inside a one-off or recurring maintenance window at `at`."""
    return monitor_id in monitors_in_maintenance(session, [monitor_id], at)


def monitors_in_maintenance(session: Session, monitor_ids: Sequence[int], at: datetime) -> set[int]:
    """The monitors among `monitor_ids` inside a maintenance window at `at`; two queries."""
    ids = list(set(monitor_ids))
    if not ids:
        return set()
    at = _aware(at)
    found = set(
        session.scalars(
            select(MaintenancePeriod.monitor_id).where(
                MaintenancePeriod.monitor_id.in_(bindparam("ids", expanding=True)),
                MaintenancePeriod.starts_at <= at,
                MaintenancePeriod.ends_at > at,
            ),
            {"ids": ids},
        )
    )
    for row, zone_name in _recurring_rows(session, [i for i in ids if i not in found]):
        if row.monitor_id not in found and windows.occurrences(
            recurring_window(row), windows.zone(zone_name), at, at + _TICK
        ):
            found.add(row.monitor_id)
    return found


def maintenance_intervals(
    session: Session, monitor_id: int, start: datetime, end: datetime
) -> list[Interval]:
    """Maintenance instants of [start, end) as merged UTC intervals. A recurring window
    counts only from when it was created: it does not rewrite the past."""
    start, end = _aware(start), _aware(end)
    found: list[Interval] = [
        (row.starts_at, row.ends_at)
        for row in session.execute(
            select(MaintenancePeriod.starts_at, MaintenancePeriod.ends_at).where(
                MaintenancePeriod.monitor_id == monitor_id,
                MaintenancePeriod.starts_at < end,
                MaintenancePeriod.ends_at > start,
            )
        )
    ]
    for row, zone_name in _recurring_rows(session, [monitor_id]):
        since = max(start, row.created_at)
        found.extend(windows.occurrences(recurring_window(row), windows.zone(zone_name), since, end))
    return windows.merge(found)


def recurring_window(row: RecurringMaintenancePeriod) -> RecurringWindow:
    return RecurringWindow(
        recurrence=row.recurrence_type,  # type: ignore[arg-type]  # checked when stored
        start=parse_hhmm(row.start_time),
        end=parse_hhmm(row.end_time),
        days_of_week=tuple(row.days_of_week or ()),
        day_of_month=row.day_of_month,
    )


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def team_zone_of_monitor(session: Session, monitor_id: int) -> str:
    name = session.scalar(
        select(Team.timezone).join(Monitor, Monitor.team_id == Team.id).where(Monitor.id == monitor_id)
    )
    return name or "UTC"


def set_team_timezone(session: Session, team: str, name: str) -> bool:
    """Set the zone of the team with this name (or id); False when there is none."""
    where = Team.name == team
    if team.isdigit() and len(team) < 10:
        where = where | (Team.id == int(team))
    done = session.execute(update(Team).where(where).values(timezone=name))
    return bool(getattr(done, "rowcount", 0))


def _recurring_rows(session: Session, monitor_ids: list[int]) -> list[tuple[RecurringMaintenancePeriod, str]]:
    if not monitor_ids:
        return []
    rows = session.execute(
        select(RecurringMaintenancePeriod, Team.timezone)
        .join(Monitor, Monitor.id == RecurringMaintenancePeriod.monitor_id)
        .join(Team, Team.id == Monitor.team_id)
        .where(RecurringMaintenancePeriod.monitor_id.in_(bindparam("ids", expanding=True))),
        {"ids": monitor_ids},
    )
    return [(row[0], row[1]) for row in rows]


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# -- one-off periods --------------------------------------------------------------------


def periods_page(
    session: Session,
    monitor_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    offset: int,
    limit: int,
) -> tuple[list[MaintenancePeriod], int]:
    """Periods overlapping [start, end] (either bound optional), newest first, and the total."""
    where: list[Any] = [MaintenancePeriod.monitor_id == monitor_id]
    if end is not None:
        where.append(MaintenancePeriod.starts_at <= end)
    if start is not None:
        where.append(MaintenancePeriod.ends_at >= start)
    total = session.scalar(select(func.count()).select_from(MaintenancePeriod).where(*where)) or 0
    rows = session.scalars(
        select(MaintenancePeriod)
        .where(*where)
        .order_by(MaintenancePeriod.starts_at.desc(), MaintenancePeriod.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def add_period(
    session: Session, monitor_id: int, name: str | None, starts_at: datetime, ends_at: datetime, now: datetime
) -> MaintenancePeriod:
    period = MaintenancePeriod(
        monitor_id=monitor_id, name=name, starts_at=starts_at, ends_at=ends_at, created_at=now, updated_at=now
    )
    session.add(period)
    session.flush()
    return period


def get_period(session: Session, period_id: int) -> MaintenancePeriod | None:
    return session.get(MaintenancePeriod, period_id)


def delete_period(session: Session, period_id: int) -> None:
    session.execute(delete(MaintenancePeriod).where(MaintenancePeriod.id == period_id))


def running_periods(session: Session, monitor_id: int, at: datetime) -> list[MaintenancePeriod]:
    return list(
        session.scalars(
            select(MaintenancePeriod).where(
                MaintenancePeriod.monitor_id == monitor_id,
                MaintenancePeriod.starts_at <= at,
                MaintenancePeriod.ends_at > at,
            )
        )
    )


# -- recurring windows ------------------------------------------------------------------


def recurring_of(session: Session, monitor_id: int) -> list[RecurringMaintenancePeriod]:
    return list(
        session.scalars(
            select(RecurringMaintenancePeriod)
            .where(RecurringMaintenancePeriod.monitor_id == monitor_id)
            .order_by(RecurringMaintenancePeriod.id)
        )
    )


def get_recurring(session: Session, recurring_id: int) -> RecurringMaintenancePeriod | None:
    return session.get(RecurringMaintenancePeriod, recurring_id)


def add_recurring(session: Session, values: dict[str, Any]) -> RecurringMaintenancePeriod:
    row = RecurringMaintenancePeriod(**values)
    session.add(row)
    session.flush()
    return row


def delete_recurring(session: Session, recurring_id: int) -> None:
    session.execute(delete(RecurringMaintenancePeriod).where(RecurringMaintenancePeriod.id == recurring_id))
