"""The health checks an app reports (A13): the latest of each, each one's history, and
snoozes per health check. Another team's monitor or health check is not found."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext
from lookout.errors import NotFoundError
from lookout.services.checks import SNOOZE_SOURCE, snooze_minutes
from lookout.services.tokens import Principal
from lookout.services.views import Page, SnoozeRecord
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import app_checks as repo
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.tables.app_checks import AppHealthCheck, AppHealthSnooze


@dataclass(frozen=True, slots=True)
class HealthCheckView:
    id: int
    name: str
    label: str
    status: str
    message: str
    short_summary: str
    meta: dict[str, Any]
    detected_at: datetime
    updated_at: datetime
    active_snooze: SnoozeRecord | None


@dataclass(frozen=True, slots=True)
class HealthResultView:
    id: int
    status: str
    short_summary: str
    message: str
    meta: dict[str, Any]
    detected_at: datetime
    updated_at: datetime


class AppHealthService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def health_checks(self, who: Principal, monitor_id: int, page: int, size: int) -> Page[HealthCheckView]:
        with self._sessions() as session:
            _monitor(session, who, monitor_id)
            rows, total = repo.health_checks_page(session, monitor_id, (page - 1) * size, size)
            snoozes = repo.active_snoozes(session, [row.id for row in rows], self._clock())
            return Page([_view(row, snoozes.get(row.id)) for row in rows], total)

    def history(
        self, who: Principal, monitor_id: int, health_check_id: int, page: int, size: int
    ) -> Page[HealthResultView]:
        with self._sessions() as session:
            row = _health_check(session, who, monitor_id, health_check_id)
            results, total = repo.results_page(session, row.id, (page - 1) * size, size)
            items = [
                HealthResultView(
                    r.id,
                    r.status,
                    r.short_summary,
                    r.message,
                    dict(r.meta or {}),
                    r.detected_at,
                    r.updated_at,
                )
                for r in results
            ]
            return Page(items, total)

    def snooze(self, who: Principal, monitor_id: int, health_check_id: int, raw: Any) -> HealthCheckView:
        minutes = snooze_minutes(raw)
        with transaction(self._sessions) as session:
            row = _health_check(session, who, monitor_id, health_check_id)
            now = self._clock()
            repo.end_snoozes(session, row.id, now, None)  # a new snooze replaces the running one
            snooze = repo.add_snooze(
                session, row.id, now, now + timedelta(minutes=minutes), who.name or who.email, SNOOZE_SOURCE
            )
            return _view(row, snooze)

    def unsnooze(self, who: Principal, monitor_id: int, health_check_id: int) -> HealthCheckView:
        with transaction(self._sessions) as session:
            row = _health_check(session, who, monitor_id, health_check_id)
            repo.end_snoozes(session, row.id, self._clock(), who.name or who.email)
            return _view(row, None)


class StoreHealthSnoozes:
    """The application health check's view of its health checks' snoozes (`SnoozeSource`),
    read from the store off the event loop."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def snoozed_until(
        self, monitor_id: int, names: Sequence[str], at: datetime
    ) -> Mapping[str, datetime]:
        return await asyncio.to_thread(self._read, monitor_id, list(names), at)

    def _read(self, monitor_id: int, names: list[str], at: datetime) -> dict[str, datetime]:
        with self._sessions() as session:
            return repo.snoozed_by_name(session, monitor_id, names, at)


def with_health_snoozes(ctx: CheckContext, sessions: sessionmaker[Session]) -> CheckContext:
    return dataclasses.replace(ctx, health_snoozes=StoreHealthSnoozes(sessions))


def _monitor(session: Session, who: Principal, monitor_id: int) -> None:
    if monitors_repo.monitor_row(session, monitor_id, who.team_ids) is None:
        raise NotFoundError("Monitor not found.")


def _health_check(session: Session, who: Principal, monitor_id: int, health_check_id: int) -> AppHealthCheck:
    _monitor(session, who, monitor_id)
    row = repo.health_check(session, monitor_id, health_check_id)
    if row is None:
        raise NotFoundError("Health check not found.")
    return row


def _view(row: AppHealthCheck, snooze: AppHealthSnooze | None) -> HealthCheckView:
    active = None
    if snooze is not None:
        active = SnoozeRecord(
            snooze.id,
            snooze.health_check_id,
            snooze.starts_at,
            snooze.ends_at,
            snooze.snoozed_by,
            snooze.unsnoozed_by,
            snooze.source,
            snooze.created_at,
        )
    return HealthCheckView(
        row.id,
        row.name,
        row.label,
        row.status,
        row.message,
        row.short_summary,
        dict(row.meta or {}),
        row.detected_at,
        row.updated_at,
        active,
    )
