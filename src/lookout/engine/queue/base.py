"""The job queue between scheduler and runners.

A job is self-contained: a runner needs no database to run it. `take` leases jobs; a lease
not acknowledged before its visibility timeout runs out is handed out again, so a job is
lost only if it is acknowledged, and it is acknowledged only after its result is stored.
The shape maps onto Redis Streams: put → XADD, take → XREADGROUP (+ XAUTOCLAIM of expired
leases), ack → XACK, nack → XACK + XADD, extend → XCLAIM to the same consumer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Job:
    check_id: int
    monitor_id: int
    check_type: str
    monitor_type: str
    url: str
    settings: dict[str, Any]
    location: str
    due_at: datetime
    # From the validated settings, so the writer need not parse them again.
    interval_seconds: float = 60.0
    threshold: int = 1
    # True for a run someone asked for (request-run), False for a scheduled one.
    requested: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lease:
    job: Job
    token: str
    attempt: int = 1


class Queue(Protocol):
    async def put(self, job: Job) -> None:
        """Enqueue `job` for the runners of `job.location`."""
        ...

    async def take(self, location: str, max_jobs: int, wait_seconds: float) -> list[Lease]:
        """Up to `max_jobs` leases, waiting at most `wait_seconds` for the first."""
        ...

    async def ack(self, lease: Lease) -> None:
        """The job is done and its result stored; forget it."""
        ...

    async def nack(self, lease: Lease) -> None:
        """Give the job back for another runner, now."""
        ...

    async def extend(self, lease: Lease, seconds: float) -> None:
        """Keep the lease `seconds` longer (for a long check)."""
        ...

    async def drain_unleased(self, location: str) -> list[Job]:
        """Remove and return the jobs nobody has taken (used on a clean stop)."""
        ...
