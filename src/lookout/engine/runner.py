"""Takes jobs and runs checks: concurrency limits, a hard timeout, crashes become results.

Nothing a check does escapes `run_job`: a timeout or an exception in our code becomes an
`errored-or-timed-out` result (the exception is logged), so the loop never stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from lookout.checks.base import Check, CheckContext, Target
from lookout.engine.host_limits import HostLimits
from lookout.engine.queue.base import Job, Lease, Queue
from lookout.engine.settings_cache import DEFAULT_TIMEOUT, SettingsCache, timeout_of
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome

log = logging.getLogger(__name__)

Sink = Callable[[Lease, CheckResult], Awaitable[None]]


@lru_cache(maxsize=65_536)
def _host_of_url(url: str) -> str:
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return host or url


def host_of(job: Job) -> str:
    return _host_of_url(job.url)


class Runner:
    def __init__(
        self,
        queue: Queue,
        ctx: CheckContext,
        checks: Mapping[CheckType, Check],
        sink: Sink,
        *,
        concurrency: int = 200,
        per_host: int = 4,
        timeout_margin: float = 5.0,
        take_timeout: float = 0.2,
        settings_cache: SettingsCache | None = None,
    ) -> None:
        self._queue = queue
        self._ctx = ctx
        self._checks = checks
        self._sink = sink
        self._room = asyncio.Event()
        self._concurrency = concurrency
        self._hosts = HostLimits(per_host)
        self._margin = timeout_margin
        self._take_timeout = take_timeout
        self._cache = settings_cache if settings_cache is not None else SettingsCache()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Take and start jobs until `stop()`, then wait for the running ones."""
        while not self._stopping.is_set():
            free = self._concurrency - len(self._tasks)
            if free <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                leases = await self._queue.take(self._ctx.location, free, self._take_timeout)
            except Exception:
                log.exception("taking jobs failed")
                await asyncio.sleep(1)
                continue
            for lease in leases:
                task = asyncio.create_task(self._run_lease(lease))
                self._tasks.add(task)
                task.add_done_callback(self._finished)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._room.set()

    async def stop(self) -> None:
        """Stop taking jobs; `run()` returns once the running ones are handed over."""
        self._stopping.set()
        self._room.set()

    async def _run_lease(self, lease: Lease) -> None:
        try:
            result = await self.run_job(lease.job)
            await self._sink(lease, result)
        except Exception:  # the sink failed; the lease runs out and the job runs again
            log.exception("handing over the result of check %s failed", lease.job.check_id)

    async def run_job(self, job: Job) -> CheckResult:
        started = self._ctx.clock()
        host = host_of(job)
        await self._hosts.acquire(host)
        try:
            return await self._run_check(job, started)
        except TimeoutError:
            return _errored(job, started, self._ctx.clock(), "Timed out", self._ctx.location)
        except Exception as exc:
            log.exception("check %s (%s) crashed", job.check_id, job.check_type)
            summary = f"Check error: {type(exc).__name__}"
            return _errored(job, started, self._ctx.clock(), summary, self._ctx.location)
        finally:
            self._hosts.release(host)

    async def _run_check(self, job: Job, started: datetime) -> CheckResult:
        prepared = self._cache.get(job.check_id, job.check_type, job.monitor_type, job.settings)
        check = self._checks[CheckType(job.check_type)]
        target = Target(job.monitor_id, MonitorType(job.monitor_type), job.url, job.extra.get("connect_ip"))
        async with asyncio.timeout(prepared.timeout + self._margin):
            return await check.run(target, prepared.settings, self._ctx)


def _errored(job: Job, started: datetime, ended: datetime, summary: str, location: str) -> CheckResult:
    return CheckResult(
        Outcome.ERRORED, summary, started, ended, location, details={"check_type": job.check_type}
    )


__all__ = ["DEFAULT_TIMEOUT", "Runner", "Sink", "host_of", "timeout_of"]
