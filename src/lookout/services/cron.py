"""Scheduled tasks (cron check definitions) of a monitor: list, create, update, delete,
sync (make the monitor's set match a list, by name), snooze and unsnooze.

Another team's monitor or task is not found. A monitor that gets tasks has its `cron`
check enabled: that check is what turns a late or failed task into a state change. An edit
that changes a schedule wakes the sweep for the task (`wake_at = now`), which re-judges it
against the new schedule.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model.check_type import CHECKS_BY_MONITOR_TYPE, CheckType, MonitorType
from lookout.model.cron import (
    LATEST_RESULT,
    CronType,
    PingKind,
    Schedule,
    TaskStatus,
)
from lookout.services.checks import snooze_minutes
from lookout.services.cron_input import MAX_SYNC_ITEMS, TaskInput, parse_task
from lookout.services.tokens import Principal
from lookout.services.views import SnoozeRecord
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import cron as repo
from lookout.store.tables.cron import CronCheck, CronCheckSnooze

SNOOZE_SOURCE = "API"
MAX_TASKS_PER_MONITOR = 1000


@dataclass(frozen=True, slots=True)
class CronTaskView:
    id: int
    monitor_id: int
    uuid: str
    name: str
    type: str
    description: str
    frequency_in_minutes: int | None
    grace_time_in_minutes: int
    cron_expression: str | None
    server_timezone: str | None
    status: str
    latest_result: str
    latest_ping_at: datetime | None
    deadline_at: datetime | None
    latest_exit_code: int | None
    latest_failure_message: str | None
    created_at: datetime
    active_snooze: SnoozeRecord | None


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[CronTaskView]
    total: int


class CronService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def page(self, who: Principal, monitor_id: int, page: int, size: int) -> TaskPage:
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            tasks, total = repo.tasks_of_monitor(session, monitor_id, (page - 1) * size, size)
            return TaskPage(self._views(session, tasks), total)

    def create(self, who: Principal, monitor_id: int, raw: Any) -> CronTaskView:
        now = self._clock()
        with transaction(self._sessions) as session:
            self._monitor(session, who, monitor_id, for_tasks=True)
            parsed, errors = parse_task(raw, now)
            if parsed is None:
                raise ValidationFailed(errors)
            _, total = repo.tasks_of_monitor(session, monitor_id, 0, 0)
            if total >= MAX_TASKS_PER_MONITOR:
                raise ValidationFailed(
                    {"name": [f"A monitor can have at most {MAX_TASKS_PER_MONITOR} cron checks."]}
                )
            task = repo.add_task(session, _new_values(monitor_id, parsed, now))
            repo.enable_cron_check(session, monitor_id, now)
            return self._views(session, [task])[0]

    def update(self, who: Principal, task_id: int, raw: Any, monitor_id: int | None = None) -> CronTaskView:
        now = self._clock()
        with transaction(self._sessions) as session:
            task = self._task(session, who, task_id, monitor_id)
            parsed, errors = parse_task(raw, now, current=_input_of(task))
            if parsed is None:
                raise ValidationFailed(errors)
            _apply(task, parsed, now)
            session.flush()
            return self._views(session, [task])[0]

    def delete(self, who: Principal, task_id: int, monitor_id: int | None = None) -> None:
        with transaction(self._sessions) as session:
            task = self._task(session, who, task_id, monitor_id)
            repo.delete_tasks(session, [task.id])

    def sync(self, who: Principal, monitor_id: int, raw: Any) -> list[CronTaskView]:
        """Make the monitor's tasks the listed ones: matched by name, created, updated, and
        the ones not listed deleted."""
        now = self._clock()
        items = raw.get("cron_checks") if isinstance(raw, Mapping) else None
        if not isinstance(items, list):
            raise ValidationFailed({"cron_checks": ["The cron checks field must be an array."]})
        if len(items) > MAX_SYNC_ITEMS:
            raise ValidationFailed(
                {"cron_checks": [f"The cron checks field must not have more than {MAX_SYNC_ITEMS} items."]}
            )
        with transaction(self._sessions) as session:
            self._monitor(session, who, monitor_id, for_tasks=True)
            existing, _ = repo.tasks_of_monitor(session, monitor_id)
            by_name = {task.name: task for task in existing}
            errors: dict[str, list[str]] = {}
            wanted: dict[str, tuple[TaskInput, CronCheck | None]] = {}
            for index, item in enumerate(items):
                name = item.get("name") if isinstance(item, Mapping) else None
                current_task = by_name.get(name) if isinstance(name, str) else None
                # A listed task replaces the whole definition: nothing is kept from before.
                parsed, item_errors = parse_task(item, now, prefix=f"cron_checks.{index}.")
                errors.update(item_errors)
                if parsed is not None:
                    if parsed.name in wanted:
                        errors[f"cron_checks.{index}.name"] = ["The name has already been listed."]
                    wanted[parsed.name] = (parsed, current_task)
            if errors:
                raise ValidationFailed(errors)
            repo.delete_tasks(session, [t.id for t in existing if t.name not in wanted])
            kept: list[CronCheck] = []
            for parsed, task in wanted.values():
                if task is None:
                    kept.append(repo.add_task(session, _new_values(monitor_id, parsed, now)))
                else:
                    _apply(task, parsed, now)
                    kept.append(task)
            if kept:
                repo.enable_cron_check(session, monitor_id, now)
            session.flush()
            return self._views(session, sorted(kept, key=lambda t: t.id))

    def snooze(self, who: Principal, task_id: int, raw: Any) -> CronTaskView:
        minutes = snooze_minutes(raw)
        now = self._clock()
        with transaction(self._sessions) as session:
            task = self._task(session, who, task_id)
            repo.end_snoozes(session, task.id, now, None)
            ends = now + timedelta(minutes=minutes)
            repo.add_snooze(session, task.id, now, ends, who.name or who.email, SNOOZE_SOURCE)
            _touch(task, now, snoozed_until=ends)
            session.flush()
            return self._views(session, [task])[0]

    def unsnooze(self, who: Principal, task_id: int) -> CronTaskView:
        now = self._clock()
        with transaction(self._sessions) as session:
            task = self._task(session, who, task_id)
            repo.end_snoozes(session, task.id, now, who.name or who.email)
            _touch(task, now, snoozed_until=None)
            session.flush()
            return self._views(session, [task])[0]

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _monitor(session: Session, who: Principal, monitor_id: int, for_tasks: bool = False) -> None:
        found = repo.monitor_of_team(session, monitor_id, who.team_ids)
        if found is None:
            raise NotFoundError("Monitor not found.")
        if for_tasks:
            try:
                types = CHECKS_BY_MONITOR_TYPE[MonitorType(found[1])]
            except ValueError:
                types = ()
            if CheckType.CRON not in types:
                raise ValidationFailed(
                    {"monitor": [f"A {found[1]} monitor cannot have cron checks; use an http monitor."]}
                )

    @staticmethod
    def _task(session: Session, who: Principal, task_id: int, monitor_id: int | None = None) -> CronCheck:
        task = repo.task_of_team(session, task_id, who.team_ids)
        if task is None or (monitor_id is not None and task.monitor_id != monitor_id):
            raise NotFoundError("Cron check not found.")
        return task

    def _views(self, session: Session, tasks: list[CronCheck]) -> list[CronTaskView]:
        snoozes = repo.active_snoozes(session, [t.id for t in tasks], self._clock())
        return [_view(task, snoozes.get(task.id)) for task in tasks]


def schedule_of(task: CronCheck | repo.PingTarget) -> Schedule:
    return Schedule(
        CronType(task.type),
        task.grace_time_in_minutes,
        task.frequency_in_minutes,
        task.cron_expression,
        task.server_timezone or "UTC",
    )


def _new_values(monitor_id: int, parsed: TaskInput, now: datetime) -> dict[str, Any]:
    return {
        **parsed.as_values(),
        "monitor_id": monitor_id,
        "uuid": str(uuidlib.uuid4()),
        "status": TaskStatus.NEW.value,
        # Never told: the sweep has the monitor's check judge its new task once (not pending).
        "reported_status": "",
        "wake_at": now,
        "version": 0,
        "latest_result": "",
        "created_at": now,
        "updated_at": now,
    }


def _input_of(task: CronCheck) -> TaskInput:
    return TaskInput(
        task.name,
        CronType(task.type),
        task.description or "",
        task.frequency_in_minutes,
        task.grace_time_in_minutes,
        task.cron_expression,
        task.server_timezone,
    )


def _apply(task: CronCheck, parsed: TaskInput, now: datetime) -> None:
    """Store the new definition; a changed schedule re-arms the deadline from the last ping."""
    before = _input_of(task)
    for key, value in parsed.as_values().items():
        setattr(task, key, value)
    if parsed == before:
        return
    if task.latest_ping_at is not None and task.status in (TaskStatus.OK, TaskStatus.LATE):
        if task.latest_result == LATEST_RESULT[PingKind.FINISHED]:
            task.status = TaskStatus.OK.value
            task.deadline_at = schedule_of(task).deadline_after(task.latest_ping_at)
    elif task.status == TaskStatus.RUNNING and task.started_at is not None:
        task.deadline_at = schedule_of(task).running_deadline(task.started_at)
    _touch(task, now)


def _touch(task: CronCheck, now: datetime, **values: Any) -> None:
    for key, value in values.items():
        setattr(task, key, value)
    task.updated_at = now
    task.version = (task.version or 0) + 1
    task.wake_at = now  # the sweep re-judges it and tells the monitor's check


def _view(task: CronCheck, snooze: CronCheckSnooze | None) -> CronTaskView:
    return CronTaskView(
        task.id,
        task.monitor_id,
        task.uuid,
        task.name,
        task.type,
        task.description or "",
        task.frequency_in_minutes,
        task.grace_time_in_minutes,
        task.cron_expression,
        task.server_timezone,
        task.status,
        task.latest_result or "",
        task.latest_ping_at,
        task.deadline_at,
        task.latest_exit_code,
        task.latest_failure_message,
        task.created_at,
        None
        if snooze is None
        else SnoozeRecord(
            snooze.id,
            snooze.cron_check_id,
            snooze.starts_at,
            snooze.ends_at,
            snooze.snoozed_by,
            snooze.unsnoozed_by,
            snooze.source,
            snooze.created_at,
        ),
    )
