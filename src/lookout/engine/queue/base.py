"""The job queue between scheduler and runners.

A job is self-contained: a runner needs no database to run it. Jobs wait per location,
per pool, per team and per target host, and `take` hands out only jobs whose team and host
have room, so neither a host with many slow monitors nor a team with many monitors fills a
runner with jobs it cannot start or starves the other teams.

`take` leases jobs; a lease not acknowledged before its visibility timeout runs out is
handed out again, so a job is lost only if it is acknowledged, and it is acknowledged
only after its result is stored. A runner extends the leases of its long jobs while they
run (a heartbeat), so a job never runs twice because it ran long.

Two implementations: `MemoryQueue`, the embedded default, and `RedisStreamsQueue`, shared
by `lookout serve` and the `lookout worker` processes (`shared` is True: results are stored
by whichever process ran the job, so the queue itself keeps a check from being queued twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit


@lru_cache(maxsize=65_536)
def host_of(url: str) -> str:
    """The host a job dials: the URL's host, or the `host[:port]` of a ping or tcp monitor."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return host or url


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
    interval_seconds: float | None = 60.0  # None: an event-driven check, no next run to set
    threshold: int = 1
    # True for a run someone asked for (request-run), False for a scheduled one.
    requested: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # Where it waits and what it may take: the runner pool, the host it dials, its budget.
    pool: str = "fast"
    host: str = ""  # filled from `url` when not given
    budget_seconds: float = 60.0
    team_id: int = 0

    def __post_init__(self) -> None:
        if not self.host:
            object.__setattr__(self, "host", host_of(self.connect_to))

    @property
    def connect_to(self) -> str:
        """The address dialled: an explicit connect_ip wins over the url's host."""
        return str(self.extra.get("connect_ip") or self.url)


@dataclass(frozen=True, slots=True)
class Lease:
    job: Job
    token: str
    attempt: int = 1


class Room(Protocol):
    """What the taker can start now, asked by the queue before it leases a job."""

    def free(self, team_id: int, host: str) -> int:
        """How many more of this team's jobs against `host` (host slots are per team, so one
        team's slow monitors on a host never hold back another team's checks of it)."""
        ...

    def team_free(self, team_id: int, contended: bool) -> int:
        """How many more jobs of this team; `contended` when other teams have jobs waiting
        too (a team alone may use every free slot)."""
        ...


class Queue(Protocol):
    # True when other processes put and take too: the scheduler cannot see results stored
    # elsewhere, so `put` refuses a check that is already queued or running.
    shared: bool

    async def put(self, job: Job) -> bool:
        """Enqueue `job` for the runners of `job.location` and `job.pool`; False when a
        shared queue already holds a job of this check (of the same kind, scheduled or
        requested) and this one was dropped."""
        ...

    async def put_all(self, jobs: Sequence[Job]) -> list[bool]:
        """`put` each (a shared queue does it in one round trip); whether each was queued."""
        ...

    async def take(
        self, location: str, pool: str, max_jobs: int, wait_seconds: float, room: Room
    ) -> list[Lease]:
        """Up to `max_jobs` leases of jobs whose team and host have room, teams taking turns
        and each team's hosts taking turns, waiting at most `wait_seconds` for the first."""
        ...

    async def ack(self, lease: Lease) -> None:
        """The job is done and its result stored; forget it."""
        ...

    async def ack_all(self, leases: Sequence[Lease]) -> None:
        """`ack` each of a stored batch (a shared queue does it in one round trip)."""
        ...

    async def nack(self, lease: Lease) -> None:
        """Give the job back for another runner, now."""
        ...

    async def extend(self, lease: Lease, seconds: float) -> None:
        """Keep the lease `seconds` from now (a long check's heartbeat)."""
        ...

    async def live(self, locations: Sequence[str]) -> set[str]:
        """Those of `locations` where a runner takes jobs now (a shared queue: one that read
        there within two visibility timeouts; the memory queue's runners are this process's)."""
        ...

    async def waiting(self, location: str, pools: Sequence[str]) -> dict[str, int]:
        """Jobs of `location` queued and taken by no runner yet, per pool (a shared queue
        counts every process's: a round trip per pool and a command per team stream)."""
        ...

    async def drain_unleased(self, location: str) -> list[Job]:
        """On a clean stop: remove and return the jobs nobody has taken, whose claims the
        scheduler then gives back (a shared queue hands this process's read-ahead back to
        the other runners and returns nothing: its jobs stay queued)."""
        ...

    async def aclose(self) -> None:
        """Let go of connections (the engine's last step on stop)."""
        ...
