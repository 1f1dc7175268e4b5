"""The embedded queue: per (location, pool) lanes of per-host FIFOs, with leases.

A lane keeps one FIFO per host and a rotation of the hosts that have jobs waiting; `take`
walks the rotation, so hosts take turns and a host without room is passed over without
its jobs being leased. The cost of a take is the hosts it visits — those it takes from plus
those that are full — never the number of jobs waiting or leased.

Leases expire through a heap of deadlines, looked at only from its top: an extended or
acknowledged lease leaves a stale heap entry that is dropped when it surfaces.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque

from lookout.engine.queue.base import HostRoom, Job, Lease

_Entry = tuple[Job, int]  # the job and its attempt number


class _Lane:
    __slots__ = ("hosts", "rotation", "size", "arrived")

    def __init__(self) -> None:
        self.hosts: dict[str, deque[_Entry]] = {}
        self.rotation: deque[str] = deque()  # hosts with jobs waiting, each once
        self.size = 0
        self.arrived = asyncio.Event()

    def push(self, entry: _Entry) -> None:
        host = entry[0].host
        jobs = self.hosts.get(host)
        if jobs is None:
            jobs = self.hosts[host] = deque()
            self.rotation.append(host)
        jobs.append(entry)
        self.size += 1
        self.arrived.set()

    def pop(self, max_jobs: int, room: HostRoom) -> list[_Entry]:
        taken: list[_Entry] = []
        full: list[str] = []
        visits = len(self.rotation)
        while visits and len(taken) < max_jobs:
            visits -= 1
            host = self.rotation.popleft()
            jobs = self.hosts[host]
            free = room.free(host)
            if free <= 0:
                full.append(host)
                continue
            for _ in range(min(free, max_jobs - len(taken), len(jobs))):
                taken.append(jobs.popleft())
            if jobs:
                self.rotation.append(host)  # its turn again after the others
            else:
                del self.hosts[host]
        # Full hosts keep their place at the front for the next take.
        self.rotation.extendleft(reversed(full))
        self.size -= len(taken)
        return taken

    def drain(self) -> list[Job]:
        jobs = [job for host in self.rotation for job, _ in self.hosts[host]]
        self.hosts.clear()
        self.rotation.clear()
        self.size = 0
        return jobs


def _now() -> float:
    # The loop's clock (monotonic in production) so tests can fast-forward leases.
    return asyncio.get_running_loop().time()


class MemoryQueue:
    def __init__(self, visibility_timeout: float = 300.0) -> None:
        self._visibility = visibility_timeout
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._leased: dict[str, tuple[Lease, float]] = {}
        self._deadlines: list[tuple[float, str]] = []
        self._tokens = itertools.count(1)

    def _lane(self, location: str, pool: str) -> _Lane:
        lane = self._lanes.get((location, pool))
        if lane is None:
            lane = self._lanes[(location, pool)] = _Lane()
        return lane

    def _push(self, job: Job, attempt: int) -> None:
        self._lane(job.location, job.pool).push((job, attempt))

    async def put(self, job: Job) -> None:
        self._push(job, 1)

    async def take(
        self, location: str, pool: str, max_jobs: int, wait_seconds: float, room: HostRoom
    ) -> list[Lease]:
        self._requeue_expired()
        lane = self._lane(location, pool)
        taken = lane.pop(max_jobs, room)
        if not taken and wait_seconds > 0:
            lane.arrived.clear()
            try:
                await asyncio.wait_for(lane.arrived.wait(), wait_seconds)
            except TimeoutError:
                return []
            taken = lane.pop(max_jobs, room)
        deadline = _now() + self._visibility
        leases: list[Lease] = []
        for job, attempt in taken:
            lease = Lease(job, str(next(self._tokens)), attempt)
            self._lease(lease, deadline)
            leases.append(lease)
        return leases

    async def ack(self, lease: Lease) -> None:
        self._leased.pop(lease.token, None)

    async def nack(self, lease: Lease) -> None:
        if self._leased.pop(lease.token, None) is not None:
            self._push(lease.job, lease.attempt + 1)

    async def extend(self, lease: Lease, seconds: float) -> None:
        if lease.token in self._leased:
            self._lease(lease, _now() + seconds)

    async def drain_unleased(self, location: str) -> list[Job]:
        jobs: list[Job] = []
        for (lane_location, _), lane in self._lanes.items():
            if lane_location == location:
                jobs += lane.drain()
        return jobs

    def depth(self, location: str) -> int:
        return sum(lane.size for (where, _), lane in self._lanes.items() if where == location)

    def leased(self) -> int:
        return len(self._leased)

    def _lease(self, lease: Lease, deadline: float) -> None:
        self._leased[lease.token] = (lease, deadline)
        heapq.heappush(self._deadlines, (deadline, lease.token))

    def _requeue_expired(self) -> None:
        now = _now()
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            deadline, token = heapq.heappop(heap)
            held = self._leased.get(token)
            if held is None or held[1] != deadline:
                continue  # acknowledged, or extended since: a stale entry
            del self._leased[token]
            self._push(held[0].job, held[0].attempt + 1)
