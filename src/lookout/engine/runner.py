"""Takes jobs and runs checks: one loop per pool, host and team room, a time budget,
heartbeats.

Each pool (fast, crawl, browser) has its own concurrency and its own loop, so fifty crawls
never hold a slot an uptime check needs. A pool takes only jobs whose host has room
(HostSlots), so one host with many slow monitors delays only its own checks, and whose
team is under its share of the pool, so one team's slow or numerous monitors delay only
that team's checks (the queue also lets teams take turns). The time budget covers the
whole job. While a job runs longer than a third of the lease, a heartbeat extends its
lease, so the queue never hands a long job out a second time.

Nothing a check does escapes `run_job`: a timeout or an exception in our code becomes an
`errored-or-timed-out` result (the exception is logged), so the loops never stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from lookout.checks.base import Check, CheckContext, Pool, Target
from lookout.engine.host_slots import HostSlots
from lookout.engine.queue.base import Job, Lease, Queue
from lookout.engine.settings_cache import SettingsCache
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome

log = logging.getLogger(__name__)

Sink = Callable[[Lease, CheckResult], Awaitable[None]]


class Executor(Protocol):
    """Somewhere else a job's check can run (engine/check_processes.py): the runner keeps
    the lease, the slots, the budget and the heartbeat, the executor only runs the check."""

    def takes(self, job: Job) -> bool:
        """Whether this job's check should run there now."""
        ...

    async def run(self, job: Job, budget: float) -> CheckResult | None:
        """The check's result; TimeoutError past `budget`, CheckCrashedError when it raised,
        None when it could not run there after all (the runner runs it itself)."""
        ...


class CheckCrashedError(Exception):
    """A check raised in another process (which logged it); `type_name` is its exception's."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


DEFAULT_POOLS: dict[str, int] = {Pool.FAST.value: 500, Pool.CRAWL.value: 20, Pool.BROWSER.value: 1}


class _PoolState:
    """A pool's slots, and the `Room` its takes ask: host room and the team's share."""

    __slots__ = ("name", "size", "running", "room", "hosts", "team_limit", "teams")

    def __init__(self, name: str, size: int, hosts: HostSlots, team_share: float) -> None:
        self.name = name
        self.size = size
        self.running = 0
        self.room = asyncio.Event()
        self.hosts = hosts
        self.team_limit = max(1, int(size * team_share))
        self.teams: dict[int, int] = {}  # team → its jobs running in this pool

    def free(self, team_id: int, host: str) -> int:
        return self.hosts.free((team_id, host))

    def team_free(self, team_id: int, contended: bool) -> int:
        # Alone, a team may use the whole pool; while others wait, no more than its share.
        if not contended:
            return self.size - self.running
        return self.team_limit - self.teams.get(team_id, 0)


class Runner:
    def __init__(
        self,
        queue: Queue,
        ctx: CheckContext,
        checks: Mapping[CheckType, Check[Any]],
        sink: Sink,
        *,
        pools: Mapping[str, int] | None = None,
        per_host: int = 4,
        team_share: float = 0.5,
        timeout_margin: float = 5.0,
        take_timeout: float = 0.2,
        lease_seconds: float = 30.0,
        settings_cache: SettingsCache | None = None,
        executor: Executor | None = None,
    ) -> None:
        self._queue = queue
        self._ctx = ctx
        self._checks = checks
        self._sink = sink
        self.hosts = HostSlots(per_host)
        self._pools = {
            name: _PoolState(name, size, self.hosts, team_share)
            for name, size in (pools or DEFAULT_POOLS).items()
        }
        self._margin = timeout_margin
        self._take_timeout = take_timeout
        self._lease_seconds = lease_seconds
        self._cache = settings_cache if settings_cache is not None else SettingsCache(checks)
        self._executor = executor
        self._tasks: set[asyncio.Task[None]] = set()
        # token → (lease, loop-clock start) of every job running now
        self.running: dict[str, tuple[Lease, float]] = {}
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Take and start jobs until `stop()`, then wait for the running ones."""
        loops = [asyncio.create_task(self._take_loop(pool)) for pool in self._pools.values()]
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            await asyncio.gather(*loops)
        finally:
            heartbeat.cancel()
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    def in_flight(self) -> dict[str, int]:
        return {name: pool.running for name, pool in self._pools.items()}

    async def stop(self) -> None:
        """Stop taking jobs; `run()` returns once the running ones are handed over."""
        self._stopping.set()
        for pool in self._pools.values():
            pool.room.set()

    async def _take_loop(self, pool: _PoolState) -> None:
        failures = 0
        while not self._stopping.is_set():
            free = pool.size - pool.running
            if free <= 0:
                pool.room.clear()
                await pool.room.wait()
                continue
            try:
                leases = await self._queue.take(self._ctx.location, pool.name, free, self._take_timeout, pool)
            except Exception:  # a shared queue's Redis is away: try every second, log every 30th
                if failures % 30 == 0:
                    log.exception("taking jobs for pool %s failed (%d in a row)", pool.name, failures + 1)
                failures += 1
                await asyncio.sleep(1)
                continue
            failures = 0
            for lease in leases:
                self._start(pool, lease)

    def _start(self, pool: _PoolState, lease: Lease) -> None:
        pool.running += 1
        team = lease.job.team_id
        pool.teams[team] = pool.teams.get(team, 0) + 1
        self.hosts.hold((team, lease.job.host))
        self.running[lease.token] = (lease, asyncio.get_running_loop().time())
        task = asyncio.create_task(self._run_lease(lease))
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(done, pool, lease))

    def _finished(self, task: asyncio.Task[None], pool: _PoolState, lease: Lease) -> None:
        self._tasks.discard(task)
        self.running.pop(lease.token, None)
        team = lease.job.team_id
        self.hosts.release((team, lease.job.host))
        left = pool.teams[team] - 1
        if left:
            pool.teams[team] = left
        else:
            del pool.teams[team]
        pool.running -= 1
        pool.room.set()

    async def _heartbeat(self) -> None:
        every = self._lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            now = asyncio.get_running_loop().time()
            for lease, started in list(self.running.values()):
                if now - started >= every:
                    try:
                        await self._queue.extend(lease, self._lease_seconds)
                    except Exception:
                        log.exception("extending the lease of check %s failed", lease.job.check_id)

    async def _run_lease(self, lease: Lease) -> None:
        try:
            result = await self.run_job(lease.job)
            await self._sink(lease, result)
        except Exception:  # the sink failed; the lease runs out and the job runs again
            log.exception("handing over the result of check %s failed", lease.job.check_id)

    async def run_job(self, job: Job) -> CheckResult:
        started = self._ctx.clock()
        budget = job.budget_seconds + self._margin
        executor = self._executor
        try:
            async with asyncio.timeout(budget):
                if executor is not None and executor.takes(job):
                    result = await executor.run(job, budget)
                    if result is not None:
                        return result
                return await run_check(self._checks, self._cache, self._ctx, job)
        except TimeoutError:
            summary = f"Timed out after {budget:g} s"
            return _errored(job, started, self._ctx.clock(), summary, self._ctx.location)
        except CheckCrashedError as exc:
            summary = f"Check error: {exc.type_name}"
            return _errored(job, started, self._ctx.clock(), summary, self._ctx.location)
        except Exception as exc:
            log.exception("check %s (%s) crashed", job.check_id, job.check_type)
            summary = f"Check error: {type(exc).__name__}"
            return _errored(job, started, self._ctx.clock(), summary, self._ctx.location)


async def run_check(
    checks: Mapping[CheckType, Check[Any]], cache: SettingsCache, ctx: CheckContext, job: Job
) -> CheckResult:
    """Run the job's check once with `ctx` (here, or in a check process)."""
    prepared = cache.get(job.check_id, job.check_type, job.monitor_type, job.settings)
    check = checks[CheckType(job.check_type)]
    target = Target(job.monitor_id, MonitorType(job.monitor_type), job.url, job.extra.get("connect_ip"))
    return await check.run(target, prepared.settings, ctx)


def _errored(job: Job, started: datetime, ended: datetime, summary: str, location: str) -> CheckResult:
    return CheckResult(
        Outcome.ERRORED, summary, started, ended, location, details={"check_type": job.check_type}
    )
