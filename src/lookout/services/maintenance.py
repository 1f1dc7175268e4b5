"""Maintenance windows of a monitor: one-off periods, start/stop now, recurring windows.

During a window checks keep running; notifications are held (the notifier asks
`in_maintenance` / `monitors_in_maintenance`) and downtime inside it does not count against
uptime (`services/history.py` subtracts it when it reads the rollups).

Period times travel in the team's time zone (Oh Dear: "in and out"); they are stored as UTC
instants. Recurring windows are wall-clock times in the team's zone, expanded when asked.

The questions other parts ask live in the store (`store/repositories/maintenance.py`,
`store/repositories/snoozes.py`) so that notify and engine, which may not import services,
can ask them too; they are re-exported here:

    in_maintenance(session, monitor_id, at) -> bool
    monitors_in_maintenance(session, monitor_ids, at) -> set[int]
    maintenance_intervals(session, monitor_id, start, end) -> list[(start, end)]
    is_snoozed(session, check_id, at) -> bool
    snoozed_checks(session, check_ids, at) -> set[int]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model import maintenance as windows
from lookout.services.maintenance_input import (
    DEFAULT_START_SECONDS,
    MAX_SECONDS,
    MIN_START_SECONDS,
    Body,
    period_fields,
    recurring_fields,
)
from lookout.services.tokens import Principal
from lookout.services.views import Page
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import maintenance as repo
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.repositories.maintenance import (
    in_maintenance,
    maintenance_intervals,
    monitors_in_maintenance,
)
from lookout.store.repositories.snoozes import is_snoozed, snoozed_checks
from lookout.store.tables.maintenance import MaintenancePeriod, RecurringMaintenancePeriod

__all__ = [
    "MaintenanceService",
    "PeriodView",
    "RecurringView",
    "in_maintenance",
    "is_snoozed",
    "maintenance_intervals",
    "monitors_in_maintenance",
    "set_team_timezone",
    "snoozed_checks",
]


@dataclass(frozen=True, slots=True)
class PeriodView:
    """A one-off period; `timezone` is the team's, in which the APIs show the instants."""

    id: int
    monitor_id: int
    name: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class RecurringView:
    id: int
    monitor_id: int
    name: str | None
    recurrence_type: str
    start_time: str
    end_time: str
    days_of_week: Sequence[int]
    day_of_month: int | None
    human_readable_schedule: str
    timezone: str
    created_at: datetime
    updated_at: datetime


# Each window is expanded day by day when uptime is read; a bound keeps that cheap.
MAX_RECURRING_PER_MONITOR = 20


def set_team_timezone(sessions: sessionmaker[Session], team: str, name: str) -> None:
    """Set a team's time zone (an IANA name such as `Europe/Amsterdam`) by team name or id."""
    if not windows.is_zone(name) or len(name) > 64:
        raise ValidationFailed({"timezone": [f"Unknown time zone {name!r}."]})
    with transaction(sessions) as session:
        if not repo.set_team_timezone(session, team, name):
            raise NotFoundError(f"No team {team!r}.")


class MaintenanceService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    # -- one-off periods ----------------------------------------------------------------

    def periods(
        self,
        who: Principal,
        monitor_id: int,
        page: int,
        size: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Page[PeriodView]:
        """Periods overlapping the range (default: all), newest first."""
        with self._sessions() as session:
            zone = self._monitor_zone(session, who, monitor_id)
            rows, total = repo.periods_page(
                session, monitor_id, start, end, offset=(page - 1) * size, limit=size
            )
            return Page([_period_view(row, zone) for row in rows], total)

    def add_period(self, who: Principal, monitor_id: int | None, raw: Any) -> PeriodView:
        """A one-off period; the monitor comes from the path or the body's `monitor_id`."""
        body = Body(raw)
        if monitor_id is None:
            monitor_id = body.integer("monitor_id", required=True, low=1, high=2**63 - 1)
            body.done()
        assert monitor_id is not None
        with transaction(self._sessions) as session:
            zone = self._monitor_zone(session, who, monitor_id, from_body=body.has("monitor_id"))
            fields = period_fields(body, windows.zone(zone))
            row = repo.add_period(
                session, monitor_id, fields.name, fields.starts_at, fields.ends_at, self._clock()
            )
            return _period_view(row, zone)

    def update_period(self, who: Principal, period_id: int, raw: Any) -> PeriodView:
        body = Body(raw)
        with transaction(self._sessions) as session:
            row, zone = self._period(session, who, period_id)
            fields = period_fields(body, windows.zone(zone))
            row.name, row.starts_at, row.ends_at = fields.name, fields.starts_at, fields.ends_at
            row.updated_at = self._clock()
            session.flush()
            return _period_view(row, zone)

    def delete_period(self, who: Principal, period_id: int) -> None:
        with transaction(self._sessions) as session:
            self._period(session, who, period_id)
            repo.delete_period(session, period_id)

    def start(self, who: Principal, monitor_id: int, raw: Any) -> PeriodView:
        """A period from now for `stop_maintenance_after_seconds` (default an hour)."""
        body = Body(raw)
        seconds = body.integer(
            "stop_maintenance_after_seconds",
            low=MIN_START_SECONDS,
            high=MAX_SECONDS,
            default=DEFAULT_START_SECONDS,
        )
        name = body.text("name")
        body.done()
        assert seconds is not None
        with transaction(self._sessions) as session:
            zone = self._monitor_zone(session, who, monitor_id)
            now = self._clock()
            row = repo.add_period(session, monitor_id, name, now, now + timedelta(seconds=seconds), now)
            return _period_view(row, zone)

    def stop(self, who: Principal, monitor_id: int, raw: Any) -> None:
        """End the running one-off periods now, or after `delay_seconds`. Recurring windows
        are not touched: delete or change them to end them."""
        body = Body(raw)
        delay = body.integer("delay_seconds", low=1, high=MAX_SECONDS, default=0)
        body.done()
        with transaction(self._sessions) as session:
            self._monitor_zone(session, who, monitor_id)
            now = self._clock()
            ends_at = now + timedelta(seconds=delay or 0)
            for row in repo.running_periods(session, monitor_id, now):
                if row.ends_at > ends_at:
                    row.ends_at = ends_at
                    row.updated_at = now

    # -- recurring windows --------------------------------------------------------------

    def recurring(self, who: Principal, monitor_id: int) -> list[RecurringView]:
        with self._sessions() as session:
            zone = self._monitor_zone(session, who, monitor_id)
            return [_recurring_view(row, zone) for row in repo.recurring_of(session, monitor_id)]

    def get_recurring(self, who: Principal, recurring_id: int) -> RecurringView:
        with self._sessions() as session:
            row, zone = self._recurring(session, who, recurring_id)
            return _recurring_view(row, zone)

    def add_recurring(self, who: Principal, monitor_id: int | None, raw: Any) -> RecurringView:
        body = Body(raw)
        if monitor_id is None:
            monitor_id = body.integer("monitor_id", required=True, low=1, high=2**63 - 1)
            body.done()
        assert monitor_id is not None
        with transaction(self._sessions) as session:
            zone = self._monitor_zone(session, who, monitor_id, from_body=body.has("monitor_id"))
            fields = recurring_fields(body)
            if len(repo.recurring_of(session, monitor_id)) >= MAX_RECURRING_PER_MONITOR:
                raise ValidationFailed(
                    {"monitor_id": [f"A monitor has at most {MAX_RECURRING_PER_MONITOR} recurring windows."]}
                )
            now = self._clock()
            row = repo.add_recurring(
                session,
                {
                    "monitor_id": monitor_id,
                    "name": fields.name,
                    "recurrence_type": fields.recurrence,
                    "start_time": f"{fields.start:%H:%M}",
                    "end_time": f"{fields.end:%H:%M}",
                    "days_of_week": list(fields.days_of_week),
                    "day_of_month": fields.day_of_month,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            return _recurring_view(row, zone)

    def update_recurring(self, who: Principal, recurring_id: int, raw: Any) -> RecurringView:
        body = Body(raw)
        with transaction(self._sessions) as session:
            row, zone = self._recurring(session, who, recurring_id)
            fields = recurring_fields(body)
            row.name = fields.name
            row.recurrence_type = fields.recurrence
            row.start_time, row.end_time = f"{fields.start:%H:%M}", f"{fields.end:%H:%M}"
            row.days_of_week = list(fields.days_of_week)
            row.day_of_month = fields.day_of_month
            row.updated_at = self._clock()
            session.flush()
            return _recurring_view(row, zone)

    def delete_recurring(self, who: Principal, recurring_id: int) -> None:
        with transaction(self._sessions) as session:
            self._recurring(session, who, recurring_id)
            repo.delete_recurring(session, recurring_id)

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _monitor_zone(session: Session, who: Principal, monitor_id: int, *, from_body: bool = False) -> str:
        """The monitor's team zone; another team's or an unknown monitor is not found (a 422
        on `monitor_id` when the id came in the body, as Laravel's `exists` rule answers)."""
        if monitor_id > 2**31 - 1 or monitors_repo.monitor_row(session, monitor_id, who.team_ids) is None:
            if from_body:
                raise ValidationFailed({"monitor_id": ["The selected monitor id is invalid."]})
            raise NotFoundError("Monitor not found.")
        return repo.team_zone_of_monitor(session, monitor_id)

    def _period(self, session: Session, who: Principal, period_id: int) -> tuple[MaintenancePeriod, str]:
        row = repo.get_period(session, period_id) if period_id <= 2**31 - 1 else None
        if row is None or monitors_repo.monitor_row(session, row.monitor_id, who.team_ids) is None:
            raise NotFoundError("Maintenance period not found.")
        return row, repo.team_zone_of_monitor(session, row.monitor_id)

    def _recurring(
        self, session: Session, who: Principal, recurring_id: int
    ) -> tuple[RecurringMaintenancePeriod, str]:
        row = repo.get_recurring(session, recurring_id) if recurring_id <= 2**31 - 1 else None
        if row is None or monitors_repo.monitor_row(session, row.monitor_id, who.team_ids) is None:
            raise NotFoundError("Recurring maintenance period not found.")
        return row, repo.team_zone_of_monitor(session, row.monitor_id)


def _period_view(row: MaintenancePeriod, zone: str) -> PeriodView:
    return PeriodView(row.id, row.monitor_id, row.name, row.starts_at, row.ends_at, zone)


def _recurring_view(row: RecurringMaintenancePeriod, zone: str) -> RecurringView:
    window = repo.recurring_window(row)
    return RecurringView(
        row.id,
        row.monitor_id,
        row.name,
        row.recurrence_type,
        row.start_time,
        row.end_time,
        tuple(row.days_of_week or ()),
        row.day_of_month,
        window.describe(zone),
        zone,
        row.created_at,
        row.updated_at,
    )
