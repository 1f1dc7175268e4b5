"""The waiting jobs `/metrics` reports, read from a shared queue in the background.

Counting a shared queue's jobs is a round trip per pool and a command per team stream,
too slow for a scrape to wait on (and a scrape runs off the event loop). So the count is
read every `interval` seconds, and only while somebody looks: after `idle_after` seconds
without a look it stops, and the next look starts it again (and gets nothing until then,
rather than an old count).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from lookout.engine.queue.base import Queue
from lookout.periodic import Periodic

log = logging.getLogger(__name__)


class QueueDepth:
    def __init__(
        self,
        queue: Queue,
        locations: Sequence[str],
        pools: Sequence[str],
        interval: float = 10.0,
        idle_after: float = 300.0,
    ) -> None:
        self._queue = queue
        self._locations = tuple(locations)
        self._pools = tuple(pools)
        self._idle_after = idle_after
        self._counts: dict[tuple[str, str], int] = {}
        # Read once at start, so that the first scrape after it has a count.
        self._looked_at = time.monotonic()
        self.periodic = Periodic("queue depth", self._read, lambda: interval, log)

    def latest(self) -> dict[tuple[str, str], int]:
        """The last count per (location, pool) (empty until the first read)."""
        self._looked_at = time.monotonic()
        return dict(self._counts)

    async def _read(self) -> None:
        if time.monotonic() - self._looked_at > self._idle_after:
            self._counts = {}
            return
        counts: dict[tuple[str, str], int] = {}
        for location in self._locations:
            for pool, count in (await self._queue.waiting(location, self._pools)).items():
                counts[(location, pool)] = count
        self._counts = counts
