"""The ping receiver's one job: record a ping, fast, and never wait on anything else.

Pings are written by group commit: each request's ping joins the batch waiting for the one
writer thread, and the whole batch is one transaction (one read by uuid, one UPDATE per
task). A request is answered once its ping is committed, so an acknowledged ping is never
lost; under load batches grow by themselves, so the cost per ping falls as traffic rises.

What a ping means is decided here, by the pure rules of model/cron: the task's status, the
deadline for its next good sign, and `wake_at` for the sweep: now when the monitor's check
must hear about a change (a failure, a recovery), else the deadline. Comparing with what the
check was last told happens inside the UPDATE, so a sweep writing at the same moment
cannot make the change go unnoticed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.model.cron import LATEST_RESULT, Ping, TaskState, TaskStatus, after_ping, effective
from lookout.services.cron import schedule_of
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import cron as repo

log = logging.getLogger(__name__)

MAX_BATCH = 1000


@dataclass(slots=True)
class _Waiting:
    uuid: str
    ping: Ping
    future: asyncio.Future[bool]


class PingRecorder:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self.clock = clock
        self._pending: list[_Waiting] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookout-pings")
        self._drainer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.recorded = 0
        self.batches = 0

    async def record(self, uuid: str, ping: Ping) -> bool:
        """Store the ping; False when no task has this uuid."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append(_Waiting(uuid, ping, future))
        if self._drainer is None or self._drainer.done() or self._loop is not loop:
            self._loop = loop
            self._drainer = loop.create_task(self._drain(), name="lookout-ping-writer")
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch = self._pending[:MAX_BATCH]
            del self._pending[:MAX_BATCH]
            try:
                found = await loop.run_in_executor(self._executor, self._write, batch)
            except Exception as exc:
                log.exception("storing %d pings failed", len(batch))
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(exc)
                continue
            for waiting, ok in zip(batch, found, strict=True):
                if not waiting.future.done():
                    waiting.future.set_result(ok)

    def _write(self, batch: list[_Waiting]) -> list[bool]:
        with transaction(self._sessions) as session:
            targets = repo.ping_targets(session, {waiting.uuid for waiting in batch})
            rows: list[dict[str, Any]] = []
            found: list[bool] = []
            for waiting in batch:
                target = targets.get(waiting.uuid)
                found.append(target is not None)
                if target is not None:
                    rows.append(_row(target, waiting.ping))
            repo.record_pings(session, rows)
        self.recorded += len(rows)
        self.batches += 1
        return found

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _row(target: repo.PingTarget, ping: Ping) -> dict[str, Any]:
    try:
        state = after_ping(schedule_of(target), ping)
    except Exception:  # a schedule that no longer computes (validated at save): never late
        log.exception("cron check %s: cannot compute its next run", target.id)
        state = TaskState(TaskStatus.OK)
    return {
        "b_id": target.id,
        "b_status": state.status.value,
        "b_deadline_at": state.deadline_at,
        "b_started_at": state.started_at,
        "b_effective": effective(state.status, target.snoozed_until, ping.at),
        "b_deadline_wake": state.deadline_at,
        "b_now": ping.at,
        "b_latest_result": LATEST_RESULT[ping.kind],
        "b_latest_ping_at": ping.at,
        "b_latest_memory": ping.memory,
        "b_latest_runtime": ping.runtime,
        "b_latest_exit_code": ping.exit_code,
        "b_latest_failure_message": ping.failure_message,
    }
