"""Stores finished runs in batches, then acknowledges their jobs.

Results are gathered for up to `flush_interval` seconds or `batch_size` results and
written in one transaction; only after the commit are the leases acknowledged, so a
crash before it leaves the jobs to run again rather than losing a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime

from lookout import metrics
from lookout.engine.database import Database
from lookout.engine.lag_watch import LagWatch
from lookout.engine.persist import BatchPersister, BatchReport, Finished
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
        persister: BatchPersister,
        *,
        batch_size: int = 1000,
        flush_interval: float = 0.1,
        on_stored: Callable[[Sequence[int]], None] | None = None,
        lag_watch: LagWatch | None = None,
    ) -> None:
        self._db = db
        self._queue = queue
        self._clock = clock
        self._persister = persister
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._on_stored = on_stored
        self._lag_watch = lag_watch
        # A deque and an event rather than asyncio.Queue: no future per item, and a batch
        # is taken in one slice.
        self._inbox: deque[_Item] = deque()
        self._arrived = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._stopping = False
        self.stored = 0
        self.batches = 0

    async def submit(self, lease: Lease, result: CheckResult) -> None:
        self._inbox.append((lease, result))
        if not self._arrived.is_set():
            self._arrived.set()

    async def stop(self) -> None:
        """Write everything submitted so far, then end `run()`."""
        self._stopping = True
        self._arrived.set()
        self._stop_requested.set()

    async def run(self) -> None:
        while True:
            stopping = self._stopping
            if not self._inbox and not stopping:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            if not stopping and len(self._inbox) < self._batch_size:
                # Let a batch gather; while a write runs, results gather anyway, so under
                # load batches grow towards batch_size on their own.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_requested.wait(), self._flush_interval)
            batch = self._take()
            if batch:
                await self._write(batch)
            elif stopping:
                return

    def _take(self) -> list[_Item]:
        count = min(len(self._inbox), self._batch_size)
        return [self._inbox.popleft() for _ in range(count)]

    async def _write(self, batch: list[tuple[Lease, CheckResult]]) -> None:
        finished = [Finished(lease.job, result) for lease, result in batch]
        for attempt in range(3):
            try:
                began = time.perf_counter()
                report = await self._db.run(self._persist(finished))
                metrics.WRITER_BATCH_SECONDS.observe(time.perf_counter() - began)
                break
            except Exception:
                metrics.WRITER_FAILURES.inc()
                log.exception("storing %d results failed (attempt %d)", len(batch), attempt + 1)
                await asyncio.sleep(0.5 * (attempt + 1))
        else:
            await self._settle(batch, stored=False)
            self._stored([lease.job.check_id for lease, _ in batch])
            return
        await self._settle(batch, stored=True)
        self.stored += report.stored
        self.batches += 1
        self._stored([lease.job.check_id for lease, _ in batch])
        _observe(batch, report, self._lag_watch)

    async def _settle(self, batch: list[_Item], stored: bool) -> None:
        """Acknowledge a stored batch, or give an unstored one back to the queue. If the
        queue fails (a shared queue's Redis), its leases run out and the jobs run again:
        a result may be stored twice, never lost."""
        try:
            if stored:
                await self._queue.ack_all([lease for lease, _ in batch])
            else:
                for lease, _ in batch:
                    await self._queue.nack(lease)
        except Exception:
            log.exception("settling %d jobs with the queue failed; their leases will run out", len(batch))

    def _persist(self, finished: list[Finished]) -> Callable[..., BatchReport]:
        now = self._clock()
        return lambda session: self._persister.persist(session, finished, now)

    def _stored(self, check_ids: Sequence[int]) -> None:
        if self._on_stored is not None:
            self._on_stored(check_ids)


def _observe(batch: list[_Item], report: BatchReport, lag_watch: LagWatch | None) -> None:
    """Count the stored batch and log its state changes, once they are committed."""
    metrics.WRITER_BATCH_SIZE.observe(len(batch))
    debug = log.isEnabledFor(logging.DEBUG)
    lags: list[float] = []
    for lease, result in batch:
        job = lease.job
        metrics.CHECK_RUNS.labels(job.check_type, result.outcome.value).inc()
        metrics.CHECK_DURATION.labels(job.check_type).observe(
            max(0.0, (result.ended_at - result.started_at).total_seconds())
        )
        if not job.requested:
            lag = max(0.0, (result.started_at - job.due_at).total_seconds())
            metrics.SCHEDULER_LAG.observe(lag)
            lags.append(lag)
        if debug:
            log.debug(
                "check %s (%s) of monitor %s ran: %s, %s",
                job.check_id,
                job.check_type,
                job.monitor_id,
                result.outcome.value,
                result.summary,
            )
    for change in report.state_changes:
        metrics.STATE_CHANGES.labels(change["kind"]).inc()
        log.info(
            "monitor %s check %s %s: %s -> %s (%s)",
            change["monitor_id"],
            change["check_id"],
            change["kind"],
            change["from_status"],
            change["to_status"],
            change["reason"],
            extra={
                "event": "state_change",
                "monitor_id": change["monitor_id"],
                "check_id": change["check_id"],
                "kind": change["kind"],
                "from_status": change["from_status"],
                "to_status": change["to_status"],
                "reason": change["reason"],
            },
        )
    if lag_watch is not None:
        lag_watch.observe(lags)
        verdict = lag_watch.review()
        if verdict is not None:
            log.log(
                verdict.level, verdict.message, extra={"event": "schedule_lag", "behind": lag_watch.behind}
            )
