"""A round of background work every few seconds until stopped: the one loop the outbox, the
failover consumer, the cron heartbeat sweep, the retention sweep and the shared queue's
upkeep share.

A round that raises is logged with its cause and the next one comes on time, so a database
hiccup never ends the loop; `stop()` lets the round in progress finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        interval: Callable[[], float],
        log: logging.Logger,
    ) -> None:
        self.name = name
        self._work = work
        self._interval = interval
        self._log = log
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Rounds until `stop()`; for a caller that runs it as its own task."""
        while not self._stopping.is_set():
            try:
                await self._work()
            except Exception:
                self._log.exception("%s round failed; trying again", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval())

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"lookout-{self.name}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
