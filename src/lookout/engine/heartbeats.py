"""The heartbeat sweep: scheduled tasks whose deadline passed become late, and the
monitor's `cron` check is asked to run whenever what it should say has changed.

It never scans every task: each task carries `wake_at` (indexed), the one instant the sweep
must look at it — its deadline while it waits for a ping, now when a ping, an edit or a
snooze changed what the check should say, nothing when there is nothing to wait for. A tick
reads the tasks whose `wake_at` has come, settles each (compare-and-set on its `version`, so
a ping arriving meanwhile wins and is looked at on the next tick), and requests one run of
the `cron` check of each monitor whose tasks changed. The run (checks/cron) judges all of
the monitor's tasks; the writer and evaluator make the `failed`/`recovered` state changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext
from lookout.model.cron import FAILING, TaskSnapshot, TaskState, TaskStatus, at, effective
from lookout.periodic import Periodic
from lookout.store.db import transaction
from lookout.store.repositories import cron as repo
from lookout.store.tables.cron import CronCheck

log = logging.getLogger(__name__)

T = TypeVar("T")
RunInDb = Callable[[Callable[[Session], T]], Awaitable[T]]


class StoreTaskSource:
    """The `cron` check's view of a monitor's tasks, read from the store off the loop."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def tasks(self, monitor_id: int) -> Sequence[TaskSnapshot]:
        return await asyncio.to_thread(self._read, monitor_id)

    def _read(self, monitor_id: int) -> list[TaskSnapshot]:
        with self._sessions() as session:
            tasks, _ = repo.tasks_of_monitor(session, monitor_id)
            return [_snapshot(task) for task in tasks]


def with_cron_tasks(ctx: CheckContext, sessions: sessionmaker[Session]) -> CheckContext:
    return dataclasses.replace(ctx, cron_tasks=StoreTaskSource(sessions))


def _snapshot(task: CronCheck) -> TaskSnapshot:
    return TaskSnapshot(
        task.id,
        task.name,
        task.status,
        task.deadline_at,
        task.started_at,
        task.snoozed_until,
        task.latest_ping_at,
        task.latest_exit_code,
        task.latest_failure_message,
    )


def settle_task(task: CronCheck, now: datetime) -> tuple[dict[str, Any], bool]:
    """What the sweep writes for a task at `now`, and whether the monitor's check must hear."""
    try:
        status = TaskStatus(task.status)
    except ValueError:
        status = TaskStatus.NEW
    state = at(TaskState(status, task.deadline_at, task.started_at), now)
    shown = effective(state.status, task.snoozed_until, now)
    wake = state.deadline_at if state.status in (TaskStatus.OK, TaskStatus.RUNNING) else None
    if state.status in FAILING and task.snoozed_until is not None and task.snoozed_until > now:
        wake = task.snoozed_until  # the check hears again when the snooze ends
    values: dict[str, Any] = {"status": state.status.value, "deadline_at": state.deadline_at, "wake_at": wake}
    tell = shown != task.reported_status
    if tell:
        values["reported_status"] = shown
    return values, tell


class HeartbeatSweep:
    def __init__(
        self,
        run_in_db: RunInDb[Any],
        clock: Callable[[], datetime],
        request_run: Callable[[int], Awaitable[bool]],
        *,
        interval: float = 1.0,
        batch: int = 500,
    ) -> None:
        self._db = run_in_db
        self._clock = clock
        self._request_run = request_run
        self._interval = interval
        self._batch = batch
        self._loop = Periodic("heartbeat sweep", self.tick, lambda: self._interval, log)
        self.late = 0
        self.runs_requested = 0

    @classmethod
    def for_engine(cls, engine: Any, **kwargs: Any) -> HeartbeatSweep:
        """A sweep on a running `engine.facade.Engine`: its database thread, clock and runs."""
        return cls(engine.db.run, engine.ctx.clock, engine.request_run, **kwargs)

    @classmethod
    def on_sessions(
        cls,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        request_run: Callable[[int], Awaitable[bool]],
        **kwargs: Any,
    ) -> HeartbeatSweep:
        async def run_in_db(work: Callable[[Session], Any]) -> Any:
            def in_transaction() -> Any:
                with transaction(sessions) as session:
                    return work(session)

            return await asyncio.to_thread(in_transaction)

        return cls(run_in_db, clock, request_run, **kwargs)

    async def tick(self) -> list[int]:
        """Settle every task whose time has come; the cron check ids asked to run."""
        asked: list[int] = []
        while True:
            now = self._clock()
            done, check_ids = await self._db(functools.partial(self._settle, now=now))
            for check_id in check_ids:
                await self._request_run(check_id)
                asked.append(check_id)
            if done < self._batch:
                return asked

    def _settle(self, session: Session, now: datetime) -> tuple[int, list[int]]:
        tasks = repo.waking(session, now, self._batch)
        monitors: set[int] = set()
        for task in tasks:
            was, monitor_id = task.status, task.monitor_id
            values, tell = settle_task(task, now)
            if not repo.settle(session, task.id, task.version, values):
                continue  # a ping came in meanwhile; it set wake_at, next tick looks again
            if values["status"] == TaskStatus.LATE and was != TaskStatus.LATE:
                self.late += 1
            if tell:
                monitors.add(monitor_id)
        ids = repo.cron_check_ids(session, monitors)
        self.runs_requested += len(ids)
        return len(tasks), sorted(ids.values())

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
