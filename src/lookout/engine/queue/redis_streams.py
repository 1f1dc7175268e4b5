"""The shared queue: Redis Streams with one consumer group, so that `lookout serve` puts jobs
and any number of `lookout worker` processes (and serve's own runners) take them.

Keys, under `prefix`:
- `{location}:{pool}:t{team}`: a stream per team of a (location, pool), one entry per job;
- `{location}:{pool}:teams`: the teams that have entries there;
- `alive:{location}`: a runner takes jobs there (set by every reader's upkeep, lives two
  visibility timeouts): the scheduler sends checks only to locations that have one;
- `held:{check}`: the check has a job queued or running, scheduled or requested, at any
  location. `put` refuses a second one: the scheduler renews a claim every claim_ttl while
  the check's job waits or runs somewhere, and must not queue it again; and two runs of a
  check stored at once by two processes would each read and write its evaluator state and
  ring of runs from the same start (one would overwrite the other's run). A run asked for
  while one is queued or running is that run; a scheduled one that meets a requested one
  runs when its claim runs out (claim_ttl later).

A take reads the streams of the teams with room into a local buffer of the memory queue's
lanes (teams take turns, and each team's hosts), and hands out from there only what the
Room allows; reading per team stream with a COUNT each keeps one team's backlog from
filling the buffer. A read entry is pending for this consumer in Redis (its lease): the
buffer's entries have their idle time reset every upkeep, a running job's by `extend` (the
runner's heartbeat), and an entry idle longer than the visibility timeout (its runner
died) is taken over by another consumer with XAUTOCLAIM. An acknowledged entry is deleted,
so a stream holds only jobs waiting or running.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from lookout.engine.queue.base import Job, Lease, Room
from lookout.engine.queue.memory import Lane
from lookout.periodic import Periodic

log = logging.getLogger(__name__)

GROUP = "runners"
_FIELDS = tuple(field.name for field in dataclasses.fields(Job))

# For each job (three keys, two arguments): mark the check held, register its team
# (creating the stream's group on the team's first job, so a reader never meets a stream
# without one), and append the job; a held check's job is dropped. One call for a batch:
# redis-py costs about 200 µs of client CPU a command on this machine, 26 µs pipelined.
_PUT = """
local added = {}
for i = 1, #KEYS, 3 do
  local j = (i - 1) / 3  -- the job's keys: held, stream, teams; its arguments: job, team
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[#ARGV - 1]) then
    if redis.call('SADD', KEYS[i + 2], ARGV[2 * j + 2]) == 1 then
      redis.pcall('XGROUP', 'CREATE', KEYS[i + 1], ARGV[#ARGV], '0', 'MKSTREAM')
    end
    redis.call('XADD', KEYS[i + 1], '*', 'job', ARGV[2 * j + 1])
    added[#added + 1] = 1
  else
    added[#added + 1] = 0
  end
end
return added
"""
# A team whose stream is empty leaves the set (read by every take) until its next job.
_FORGET_IF_EMPTY = """
if redis.call('XLEN', KEYS[1]) == 0 then return redis.call('SREM', KEYS[2], ARGV[1]) end
return 0
"""


def encode(job: Job, attempt: int) -> bytes:
    data: dict[str, Any] = {name: getattr(job, name) for name in _FIELDS}
    data["attempt"] = attempt
    return orjson.dumps(data)


def decode(raw: bytes) -> tuple[Job, int]:
    data = orjson.loads(raw)
    attempt = int(data.pop("attempt"))
    data["due_at"] = datetime.fromisoformat(data["due_at"])
    return Job(**data), attempt


def _token(stream: str, entry_id: str) -> str:
    return f"{stream}\n{entry_id}"


def _untoken(token: str) -> tuple[str, str]:
    stream, _, entry_id = token.partition("\n")
    return stream, entry_id


class _Reader:
    """What this process knows of one (location, pool): its teams' streams and the buffer."""

    __slots__ = (
        "location",
        "pool",
        "teams_key",
        "streams",
        "buffer",
        "buffered",
        "teams_read_at",
        "upkeep",
    )

    def __init__(self, location: str, pool: str, teams_key: str) -> None:
        self.location = location
        self.pool = pool
        self.teams_key = teams_key
        self.streams: dict[int, str] = {}  # team -> its stream
        self.buffer = Lane()
        self.buffered: set[str] = set()  # tokens of the entries in the buffer
        self.teams_read_at = -1e9
        self.upkeep: Periodic | None = None

    def team_buffered(self, team: int) -> int:
        rotation = self.buffer.teams.get(team)
        return sum(len(fifo) for fifo in rotation.fifos.values()) if rotation else 0


class RedisStreamsQueue:
    shared = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "lookout:queue:",
        visibility_timeout: float = 30.0,
        consumer: str | None = None,
    ) -> None:
        # Reads block for at most a take's wait (a fraction of a second); the socket
        # timeout only has to outlast that.
        self._redis = Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._prefix = prefix
        self._visibility = visibility_timeout
        # A held mark outlives any wait a job has while runners keep up; if it expires
        # under a backlog (no worker for an hour), the check is queued once more: a stream
        # grows by one job a check an hour at most. A job read when it is older than twice
        # that has a newer one of its check behind it (or its check is due again and will
        # be queued): it is dropped, not run, so workers back after a night away run each
        # check once or twice, not once for every hour they were gone.
        self._held_ms = int(max(3600.0, visibility_timeout * 20) * 1000)
        self._stale_after = timedelta(milliseconds=2 * self._held_ms)
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._readers: dict[tuple[str, str], _Reader] = {}
        self._put = self._redis.register_script(_PUT)
        self._forget_if_empty = self._redis.register_script(_FORGET_IF_EMPTY)

    async def aclose(self) -> None:
        await asyncio.gather(*(reader.upkeep.stop() for reader in self._readers.values() if reader.upkeep))
        await self._redis.connection_pool.disconnect()

    def _stream(self, location: str, pool: str, team: int) -> str:
        return f"{self._prefix}{location}:{pool}:t{team}"

    def _held(self, job: Job) -> str:
        return f"{self._prefix}held:{job.check_id}"

    async def put(self, job: Job) -> bool:
        return (await self.put_all([job]))[0]

    async def put_all(self, jobs: Sequence[Job]) -> list[bool]:
        if not jobs:
            return []
        keys: list[str] = []
        args: list[bytes | str | int] = []
        for job in jobs:
            stream = self._stream(job.location, job.pool, job.team_id)
            keys += (self._held(job), stream, self._teams_key(job.location, job.pool))
            args += (encode(job, 1), job.team_id)
        added = await self._put(keys=keys, args=[*args, self._held_ms, GROUP])
        return [bool(flag) for flag in added]

    def _teams_key(self, location: str, pool: str) -> str:
        return f"{self._prefix}{location}:{pool}:teams"

    async def take(
        self, location: str, pool: str, max_jobs: int, wait_seconds: float, room: Room
    ) -> list[Lease]:
        reader = self._readers.get((location, pool))
        if reader is None:
            reader = _Reader(location, pool, self._teams_key(location, pool))
            self._readers[(location, pool)] = reader
            # On a timer of its own: a pool that is full takes nothing for a while, and its
            # read-ahead must stay its own meanwhile.
            reader.upkeep = Periodic(
                f"queue upkeep {location}/{pool}",
                partial(self._upkeep, reader),
                lambda: self._visibility / 4,
                log,
            )
            await reader.upkeep.start()
        taken = reader.buffer.pop(max_jobs, room)
        if not taken:
            block = 0.0 if reader.buffer.size else wait_seconds
            await self._read(reader, max_jobs, block)
            taken = reader.buffer.pop(max_jobs, room)
            if not taken and not block and wait_seconds > 0:
                await asyncio.sleep(wait_seconds)  # buffered, none with room: wait as memory does
        leases = []
        for job, attempt, token in taken:
            reader.buffered.discard(token)
            leases.append(Lease(job, token, attempt))
        return leases

    async def _read(self, reader: _Reader, max_jobs: int, block: float) -> None:
        """Buffer new entries of the teams that have few buffered, waiting up to `block`
        seconds for the first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block
        if not reader.streams or loop.time() - reader.teams_read_at > 0.5:
            await self._read_teams(reader)
        # With no team there is no stream to block on: look for the first one now and then.
        while not reader.streams and loop.time() < deadline:
            await asyncio.sleep(min(0.05, deadline - loop.time()))
            await self._read_teams(reader)
        # Each team's stream gives at most `count`: a team's backlog fills only its share, and
        # a runner reads no more than it has slots for, leaving the rest to the other runners.
        count = max(1, -(-max_jobs // max(1, len(reader.streams))))
        streams = {
            stream: ">" for team, stream in reader.streams.items() if reader.team_buffered(team) < count
        }
        left = deadline - loop.time()
        if not streams:
            if left > 0:
                await asyncio.sleep(left)
            return
        block_ms = int(left * 1000) if left >= 0.001 else None  # 0 would block forever
        try:
            answer = await self._redis.xreadgroup(GROUP, self.consumer, streams, count=count, block=block_ms)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self._make_groups(streams)  # a stream deleted by hand: start it again
            return
        for stream, entries in answer or ():
            await self._buffer(reader, stream.decode(), entries, retaken=False)

    async def _buffer(self, reader: _Reader, stream: str, entries: list[Any], retaken: bool) -> None:
        stale_before = datetime.now(UTC) - self._stale_after
        stale: list[bytes] = []
        for entry_id, fields in entries:
            token = _token(stream, entry_id.decode())
            if token in reader.buffered or not fields:
                continue
            try:
                job, attempt = decode(fields[b"job"])
            except (KeyError, ValueError, TypeError):
                # Its claim runs out and the scheduler queues the check again.
                log.error("dropping an unreadable job in %s (%s)", stream, entry_id)
                await self._drop(stream, entry_id)
                continue
            if job.due_at < stale_before:
                stale.append(entry_id)  # its held mark is left to expire: it may be a newer job's
                continue
            reader.buffer.push((job, attempt + 1 if retaken else attempt, token))
            reader.buffered.add(token)
        if stale:
            log.info(
                "dropped %d jobs of %s due over %s ago: their checks have been queued again since",
                len(stale),
                stream,
                self._stale_after,
            )
            await self._drop(stream, *stale)

    async def _drop(self, stream: str, *entry_ids: bytes) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, *entry_ids).xdel(stream, *entry_ids)
            await pipe.execute()

    async def _read_teams(self, reader: _Reader) -> None:
        members = await self._redis.smembers(reader.teams_key)
        teams = {int(member) for member in members}
        reader.streams = {team: self._stream(reader.location, reader.pool, team) for team in sorted(teams)}
        reader.teams_read_at = asyncio.get_running_loop().time()

    async def _make_groups(self, streams: dict[str, str]) -> None:
        for stream in streams:
            with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
                await self._redis.xgroup_create(stream, GROUP, id="0", mkstream=True)

    async def _upkeep(self, reader: _Reader) -> None:
        """Keep the buffer's leases fresh, take over entries whose runner died, and let
        empty teams go."""
        await self._read_teams(reader)
        by_stream: dict[str, list[str]] = {}
        for token in reader.buffered:
            stream, entry_id = _untoken(token)
            by_stream.setdefault(stream, []).append(entry_id)
        idle_ms = int(self._visibility * 1000)
        streams = dict(reader.streams)  # a take may read the teams again meanwhile
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._alive(reader.location), self.consumer, px=2 * idle_ms)
            for stream, ids in by_stream.items():
                pipe.xclaim(stream, GROUP, self.consumer, 0, ids, justid=True)
            for stream in streams.values():
                pipe.xautoclaim(stream, GROUP, self.consumer, idle_ms, "0-0", count=1000)
            answers = await pipe.execute(raise_on_error=False)
        claims = answers[1 + len(by_stream) :]
        for (team, stream), claimed in zip(streams.items(), claims, strict=True):
            if isinstance(claimed, ResponseError):
                if "NOGROUP" in str(claimed):
                    await self._make_groups({stream: ">"})
                continue
            entries = claimed[1]
            if entries:
                log.info("taking over %d jobs of %s left by a stopped runner", len(entries), stream)
                await self._buffer(reader, stream, entries, retaken=True)
            elif not reader.team_buffered(team):
                await self._forget_if_empty(keys=[stream, reader.teams_key], args=[team])

    async def ack(self, lease: Lease) -> None:
        await self.ack_all([lease])

    async def ack_all(self, leases: Sequence[Lease]) -> None:
        if not leases:
            return
        by_stream: dict[str, list[str]] = {}
        for lease in leases:
            stream, entry_id = _untoken(lease.token)
            by_stream.setdefault(stream, []).append(entry_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream, ids in by_stream.items():
                pipe.xack(stream, GROUP, *ids).xdel(stream, *ids)
            pipe.delete(*{self._held(lease.job) for lease in leases})
            await pipe.execute()

    async def nack(self, lease: Lease) -> None:
        await self._give_back(lease.token, lease.job, lease.attempt + 1)

    async def _give_back(self, token: str, job: Job, attempt: int) -> None:
        """Append the job again, for whichever runner reads first, and drop this entry."""
        stream, entry_id = _untoken(token)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(stream, {"job": encode(job, attempt)}).xack(stream, GROUP, entry_id).xdel(
                stream, entry_id
            )
            await pipe.execute()

    async def extend(self, lease: Lease, seconds: float) -> None:
        stream, entry_id = _untoken(lease.token)
        held_ms = max(self._held_ms, int(seconds * 2000))
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xclaim(stream, GROUP, self.consumer, 0, [entry_id], justid=True)
            pipe.pexpire(self._held(lease.job), held_ms)
            await pipe.execute()

    def _alive(self, location: str) -> str:
        return f"{self._prefix}alive:{location}"

    async def live(self, locations: Sequence[str]) -> set[str]:
        if not locations:
            return set()
        marks = await self._redis.mget([self._alive(location) for location in locations])
        return {location for location, mark in zip(locations, marks, strict=True) if mark is not None}

    async def waiting(self, location: str, pools: Sequence[str]) -> dict[str, int]:
        """Per pool, the entries of its team streams no consumer has read: a stream holds
        only jobs waiting or running (acknowledged entries are deleted), and a read entry
        is pending until then, so each stream's length less its pending count; and what
        this process has read ahead (another process's read-ahead counts as taken)."""
        counts: dict[str, int] = {}
        for pool in pools:
            teams = await self._redis.smembers(self._teams_key(location, pool))
            reader = self._readers.get((location, pool))
            counts[pool] = reader.buffer.size if reader is not None else 0
            if not teams:
                continue
            async with self._redis.pipeline(transaction=False) as pipe:
                for team in teams:
                    stream = self._stream(location, pool, int(team))
                    pipe.xlen(stream).xpending(stream, GROUP)
                answers = await pipe.execute(raise_on_error=False)
            for length, pending in zip(answers[::2], answers[1::2], strict=True):
                if isinstance(length, int) and isinstance(pending, dict):  # NOGROUP: not yet
                    counts[pool] += max(0, length - int(pending["pending"]))
        return counts

    async def drain_unleased(self, location: str) -> list[Job]:
        """Give this process's buffered jobs back to the streams for the other runners. They
        stay queued, so there are no claims to release: returns nothing."""
        for (where, _), reader in self._readers.items():
            if where != location:
                continue
            if reader.upkeep is not None:  # it takes over nothing more either
                await reader.upkeep.stop()
            for job, attempt, token in reader.buffer.drain():
                await self._give_back(token, job, attempt)
            reader.buffered.clear()
        return []
