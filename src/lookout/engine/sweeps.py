"""Periodic housekeeping: raw runs older than the retention are deleted (their rollups stay)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from lookout.engine.database import Database
from lookout.store.repositories import runs

log = logging.getLogger(__name__)


class RetentionSweep:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        retention_days: int = 14,
        every_seconds: float = 3600.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._every = every_seconds
        self._stopping = asyncio.Event()

    async def sweep(self) -> int:
        """Delete old runs in chunks so no transaction holds the write lock for long."""
        cutoff = self._clock() - self._retention
        total = 0
        while True:
            deleted = await self._db.run(lambda session: runs.delete_runs_before(session, cutoff))
            total += deleted
            if deleted < runs.DELETE_CHUNK:
                return total

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep()
            except Exception:
                log.exception("retention sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._every)

    async def stop(self) -> None:
        self._stopping.set()
