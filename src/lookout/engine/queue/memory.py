"""The embedded queue: per-location FIFO with leases and a visibility timeout."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque

from lookout.engine.queue.base import Job, Lease


class MemoryQueue:
    def __init__(self, visibility_timeout: float = 300.0) -> None:
        self._visibility = visibility_timeout
        self._ready: dict[str, deque[tuple[Job, int]]] = {}
        self._leased: dict[str, tuple[Lease, float]] = {}
        self._wakeup: dict[str, asyncio.Event] = {}
        self._tokens = itertools.count(1)

    def _event(self, location: str) -> asyncio.Event:
        event = self._wakeup.get(location)
        if event is None:
            event = self._wakeup[location] = asyncio.Event()
        return event

    def _push(self, job: Job, attempt: int) -> None:
        self._ready.setdefault(job.location, deque()).append((job, attempt))
        self._event(job.location).set()

    async def put(self, job: Job) -> None:
        self._push(job, 1)

    async def take(self, location: str, max_jobs: int, wait_seconds: float) -> list[Lease]:
        self._requeue_expired()
        ready = self._ready.setdefault(location, deque())
        if not ready and wait_seconds > 0:
            event = self._event(location)
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), wait_seconds)
            except TimeoutError:
                return []
        leases: list[Lease] = []
        deadline = time.monotonic() + self._visibility
        while ready and len(leases) < max_jobs:
            job, attempt = ready.popleft()
            lease = Lease(job, str(next(self._tokens)), attempt)
            self._leased[lease.token] = (lease, deadline)
            leases.append(lease)
        return leases

    async def ack(self, lease: Lease) -> None:
        self._leased.pop(lease.token, None)

    async def nack(self, lease: Lease) -> None:
        if self._leased.pop(lease.token, None) is not None:
            self._push(lease.job, lease.attempt + 1)

    async def extend(self, lease: Lease, seconds: float) -> None:
        if lease.token in self._leased:
            self._leased[lease.token] = (lease, time.monotonic() + seconds)

    async def drain_unleased(self, location: str) -> list[Job]:
        ready = self._ready.pop(location, deque())
        return [job for job, _ in ready]

    def depth(self, location: str) -> int:
        return len(self._ready.get(location, ()))

    def _requeue_expired(self) -> None:
        now = time.monotonic()
        expired = [token for token, (_, deadline) in self._leased.items() if deadline <= now]
        for token in expired:
            lease, _ = self._leased.pop(token)
            self._push(lease.job, lease.attempt + 1)
