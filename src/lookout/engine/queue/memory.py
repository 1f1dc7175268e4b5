"""The embedded queue: per (location, pool) lanes; in a lane, teams take turns, and in a
team, its hosts take turns, each host with its own FIFO.

`take` walks the teams' rotation and, within each team, its hosts' rotation; a team or host
without room is passed over without its jobs being leased, and keeps its place for the
next take. The cost of a take is the teams and hosts it visits — those it takes from plus
those that are full — never the number of jobs waiting or leased.

Leases expire through a heap of deadlines, looked at only from its top: an extended or
acknowledged lease leaves a stale heap entry that is dropped when it surfaces.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Sequence

from lookout.engine.queue.base import Job, Lease, Room

# The job, its attempt number, and where it came from: a stream entry's key and id in
# RedisStreamsQueue, which buffers its reads in these lanes; "" here.
Entry = tuple[Job, int, str]


class _Rotation:
    """FIFOs keyed by host, and the hosts that have jobs, in turn."""

    __slots__ = ("fifos", "turns")

    def __init__(self) -> None:
        self.fifos: dict[str, deque[Entry]] = {}
        self.turns: deque[str] = deque()

    def push(self, entry: Entry) -> None:
        host = entry[0].host
        jobs = self.fifos.get(host)
        if jobs is None:
            jobs = self.fifos[host] = deque()
            self.turns.append(host)
        jobs.append(entry)

    def pop(self, team: int, limit: int, room: Room, taken: list[Entry]) -> None:
        """Append up to `limit` entries to `taken`, one turn per host at most."""
        full: list[str] = []
        visits, wanted = len(self.turns), len(taken) + limit
        while visits and len(taken) < wanted:
            visits -= 1
            host = self.turns.popleft()
            jobs = self.fifos[host]
            free = room.free(team, host)
            if free <= 0:
                full.append(host)
                continue
            for _ in range(min(free, wanted - len(taken), len(jobs))):
                taken.append(jobs.popleft())
            if jobs:
                self.turns.append(host)  # its turn again after the others
            else:
                del self.fifos[host]
        self.turns.extendleft(reversed(full))  # full hosts keep their place

    def drain(self) -> list[Entry]:
        entries = [entry for host in self.turns for entry in self.fifos[host]]
        self.fifos.clear()
        self.turns.clear()
        return entries


class Lane:
    __slots__ = ("teams", "turns", "size", "arrived")

    def __init__(self) -> None:
        self.teams: dict[int, _Rotation] = {}
        self.turns: deque[int] = deque()  # teams with jobs waiting, each once
        self.size = 0
        self.arrived = asyncio.Event()

    def push(self, entry: Entry) -> None:
        team = entry[0].team_id
        hosts = self.teams.get(team)
        if hosts is None:
            hosts = self.teams[team] = _Rotation()
            self.turns.append(team)
        hosts.push(entry)
        self.size += 1
        self.arrived.set()

    def pop(self, max_jobs: int, room: Room) -> list[Entry]:
        taken: list[Entry] = []
        full: list[int] = []
        # Each team's turn takes at most an even share of this take, so one team with many
        # jobs cannot take all of it while others wait.
        share = max(1, -(-max_jobs // max(len(self.turns), 1)))
        contended = len(self.turns) > 1
        visits = len(self.turns)
        while visits and len(taken) < max_jobs:
            visits -= 1
            team = self.turns.popleft()
            hosts = self.teams[team]
            free = min(room.team_free(team, contended), share, max_jobs - len(taken))
            if free <= 0:
                full.append(team)
                continue
            hosts.pop(team, free, room, taken)
            if hosts.turns:
                self.turns.append(team)
            else:
                del self.teams[team]
        self.turns.extendleft(reversed(full))
        self.size -= len(taken)
        return taken

    def drain(self) -> list[Entry]:
        entries = [entry for team in self.turns for entry in self.teams[team].drain()]
        self.teams.clear()
        self.turns.clear()
        self.size = 0
        return entries


def _now() -> float:
    # The loop's clock (monotonic in production) so tests can fast-forward leases.
    return asyncio.get_running_loop().time()


class MemoryQueue:
    shared = False

    def __init__(self, visibility_timeout: float = 300.0) -> None:
        self._visibility = visibility_timeout
        self._lanes: dict[tuple[str, str], Lane] = {}
        self._leased: dict[str, tuple[Lease, float]] = {}
        self._deadlines: list[tuple[float, str]] = []
        self._tokens = itertools.count(1)

    def _lane(self, location: str, pool: str) -> Lane:
        lane = self._lanes.get((location, pool))
        if lane is None:
            lane = self._lanes[(location, pool)] = Lane()
        return lane

    def _push(self, job: Job, attempt: int) -> None:
        self._lane(job.location, job.pool).push((job, attempt, ""))

    async def put(self, job: Job) -> bool:
        self._push(job, 1)
        return True

    async def put_all(self, jobs: Sequence[Job]) -> list[bool]:
        for job in jobs:
            self._push(job, 1)
        return [True] * len(jobs)

    async def take(
        self, location: str, pool: str, max_jobs: int, wait_seconds: float, room: Room
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
        for job, attempt, _ in taken:
            lease = Lease(job, str(next(self._tokens)), attempt)
            self._lease(lease, deadline)
            leases.append(lease)
        return leases

    async def ack(self, lease: Lease) -> None:
        self._leased.pop(lease.token, None)

    async def ack_all(self, leases: Sequence[Lease]) -> None:
        for lease in leases:
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
                jobs += [job for job, _, _ in lane.drain()]
        return jobs

    async def aclose(self) -> None:
        pass

    async def live(self, locations: Sequence[str]) -> set[str]:
        return set(locations)

    async def waiting(self, location: str, pools: Sequence[str]) -> dict[str, int]:
        depth = self.depth_by_pool(location)
        return {pool: depth.get(pool, 0) for pool in pools}

    def depth(self, location: str) -> int:
        return sum(lane.size for (where, _), lane in self._lanes.items() if where == location)

    def depth_by_pool(self, location: str) -> dict[str, int]:
        return {pool: lane.size for (where, pool), lane in self._lanes.items() if where == location}

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
