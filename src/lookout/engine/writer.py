"""Stores finished runs in batches, then acknowledges their jobs.

Results are gathered for up to `flush_interval` seconds or `batch_size` results and
written in one transaction; only after the commit are the leases acknowledged, so a
crash before it leaves the jobs to run again rather than losing a result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from lookout.engine.database import Database
from lookout.engine.persist import BatchReport, Finished, PerformanceJudge, persist_batch
from lookout.engine.queue.base import Lease, Queue
from lookout.model.result import CheckResult

log = logging.getLogger(__name__)

_Item = tuple[Lease, CheckResult]


class ResultWriter:
    def __init__(
        self,
        db: Database,
        queue: Queue,
        clock: Callable[[], datetime],
        *,
        judge: PerformanceJudge | None = None,
        batch_size: int = 200,
        flush_interval: float = 0.1,
        quick_recheck: float = 5.0,
        on_stored: Callable[[Sequence[int]], None] | None = None,
    ) -> None:
        self._db = db
        self._queue = queue
        self._clock = clock
        self._judge = judge
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._quick_recheck = quick_recheck
        self._on_stored = on_stored
        self._inbox: asyncio.Queue[_Item | None] = asyncio.Queue()
        self.stored = 0

    async def submit(self, lease: Lease, result: CheckResult) -> None:
        await self._inbox.put((lease, result))

    async def stop(self) -> None:
        """Write everything submitted so far, then end `run()`."""
        await self._inbox.put(None)  # None marks the end

    async def run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = await self._gather()
            if batch:
                await self._write(batch)

    async def _gather(self) -> tuple[list[_Item], bool]:
        first = await self._inbox.get()
        if first is None:
            return self._drain_now(), True
        batch = [first]
        deadline = asyncio.get_running_loop().time() + self._flush_interval
        while len(batch) < self._batch_size:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                item = await asyncio.wait_for(self._inbox.get(), remaining)
            except TimeoutError:
                break
            if item is None:
                return [*batch, *self._drain_now()], True
            batch.append(item)
        return batch, False

    def _drain_now(self) -> list[tuple[Lease, CheckResult]]:
        items: list[_Item] = []
        while not self._inbox.empty():
            item = self._inbox.get_nowait()
            if item is not None:
                items.append(item)
        return items

    async def _write(self, batch: list[tuple[Lease, CheckResult]]) -> None:
        finished = [Finished(lease.job, result) for lease, result in batch]
        for attempt in range(3):
            try:
                report = await self._db.run(self._persist(finished))
                break
            except Exception:
                log.exception("storing %d results failed (attempt %d)", len(batch), attempt + 1)
                await asyncio.sleep(0.5 * (attempt + 1))
        else:
            for lease, _ in batch:
                await self._queue.nack(lease)
            self._stored([lease.job.check_id for lease, _ in batch])
            return
        for lease, _ in batch:
            await self._queue.ack(lease)
        self.stored += report.stored
        self._stored([lease.job.check_id for lease, _ in batch])

    def _persist(self, finished: list[Finished]) -> Callable[..., BatchReport]:
        now = self._clock()
        return lambda session: persist_batch(session, finished, now, self._judge, self._quick_recheck)

    def _stored(self, check_ids: Sequence[int]) -> None:
        if self._on_stored is not None:
            self._on_stored(check_ids)
