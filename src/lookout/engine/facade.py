"""What the rest of Lookout may ask of the engine, and how it is put together.

`Engine(session_factory, ctx)` wires scheduler → queue → runner → writer over the check
registry; `start()` runs them as tasks, `stop()` drains: no new jobs, queued jobs give
their claims back, running checks finish and their results are stored.
`request_run(check_id)` enqueues a run now. Over the shared queue an engine may be built in
parts: `lookout serve` schedules (and may also run), `lookout worker` only runs; both write
the results they have.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import AnyCheck, CheckContext, Pool
from lookout.checks.registry import CHECKS, runnable, validate
from lookout.engine.check_processes import CheckProcesses
from lookout.engine.database import Database
from lookout.engine.lag_watch import LagWatch, MinuteLags
from lookout.engine.persist import BatchPersister
from lookout.engine.queue.base import Lease, Queue
from lookout.engine.queue.depth import QueueDepth
from lookout.engine.queue.memory import MemoryQueue
from lookout.engine.runner import Runner
from lookout.engine.scheduler import Locations, Scheduler, job_for, scheduled_types
from lookout.engine.settings_cache import SettingsCache
from lookout.engine.sweeps import HOURLY_ROLLUP_DAYS, RetentionSweep, aging_finding_types
from lookout.engine.writer import ResultWriter
from lookout.model.check_type import CheckType
from lookout.model.dmonitor_points import PointMap
from lookout.model.result import CheckResult
from lookout.store.repositories.engine import EngineStore, engine_store_for

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    concurrency: int = 500  # the fast pool: single requests
    crawl_concurrency: int = 20
    browser_concurrency: int = 1
    per_host: int = 4
    # The most of each pool's slots one team's checks may hold while other teams' checks
    # wait (a team alone may use them all).
    team_share: float = 0.5
    timeout_margin: float = 5.0
    # Results per write transaction: while one is open the scheduler's claims (same
    # database thread) and every other writer of the SQLite file (monitor creates from the
    # API) wait. 100,000 monitors, one serve, one run each of 500 / 100 / 50: creates with
    # 8 clients 41 / 77 / 143 a second, list of 200 p50 29 / 38 / 50 ms, 0.43 / 0.47 / 0.46
    # ms a check, all on time (docs/ARCHITECTURE.md has more runs).
    batch_size: int = 100
    flush_interval: float = 1.0
    tick_interval: float = 0.25
    # How long a claim (and a queue lease) holds without being renewed: after a crash the
    # checks it had claimed run again this long after. A check still queued or running here
    # is claimed again when its claim runs out (and skipped), so a long job is not lost.
    claim_ttl: float = 30.0
    quick_recheck: float = 5.0
    max_pending: int = 10_000
    retention_days: int = 14
    hourly_rollup_days: int = HOURLY_ROLLUP_DAYS
    # Successful runs kept per check (a ring); other runs are kept `retention_days`.
    runs_kept_per_check: int = 100
    db_threads: int = 1
    # Locations besides this engine's own whose checks it schedules (LOOKOUT_LOCATIONS):
    # `lookout worker --location NAME` processes run them, over the shared queue.
    other_locations: frozenset[str] = frozenset()
    # LOOKOUT_DMONITOR_POINTS: where a D-Monitor's failure is confirmed (scheduler.Locations).
    dmonitor_points: str | None = None
    # Allocations between young-generation collections while the engine runs (CPython's
    # default is 700). Every check allocates a few hundred objects, so at the default the
    # cyclic GC runs every few checks and costs about a quarter of the engine's CPU;
    # None leaves the interpreter's setting alone. Restored by stop().
    gc_threshold: int | None = 100_000
    # False runs the SQLAlchemy Core statements on SQLite too (benchmarks and tests).
    sqlite_fast_path: bool = True

    def pools(self) -> dict[str, int]:
        return {
            Pool.FAST.value: self.concurrency,
            Pool.CRAWL.value: self.crawl_concurrency,
            Pool.BROWSER.value: self.browser_concurrency,
        }


class Engine:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        ctx: CheckContext,
        settings: EngineSettings | None = None,
        *,
        queue: Queue | None = None,
        checks: Mapping[CheckType, AnyCheck] | None = None,
        store: EngineStore | None = None,
        check_processes: CheckProcesses | None = None,
        schedule: bool = True,
        run_checks: bool = True,
    ) -> None:
        # `schedule`: the scheduler and the retention sweep (`lookout serve`); `run_checks`:
        # the runner (`lookout serve` unless LOOKOUT_RUN_CHECKS=false, and `lookout worker`).
        # The writer runs in every engine: a result is stored by the process that ran it.
        self.schedule = schedule
        self.run_checks = run_checks
        self.settings = settings = settings or EngineSettings()
        self.ctx = ctx
        self.db = Database(session_factory, settings.db_threads)
        self.store = store or engine_store_for(self.db.dialect, fast_path=settings.sqlite_fast_path)
        self.queue: Queue = queue or MemoryQueue(visibility_timeout=settings.claim_ttl)
        self.checks = checks if checks is not None else CHECKS
        validate(self.checks)
        # Shared so the runner and writer find the settings the scheduler validated.
        self.settings_cache = SettingsCache(self.checks)
        self.locations = Locations(
            ctx.location,
            settings.other_locations - {ctx.location},
            PointMap.from_setting(ctx.location, settings.dmonitor_points),
        )
        self.scheduler = Scheduler(
            self.db,
            self.store,
            self.queue,
            ctx.clock,
            scheduled_types(self.checks),
            self.settings_cache,
            locations=self.locations,
            tick_interval=settings.tick_interval,
            claim_ttl=settings.claim_ttl,
            max_pending=settings.max_pending,
        )
        persister = BatchPersister(
            self.store,
            self.checks,
            self.settings_cache,
            quick_recheck=settings.quick_recheck,
            runs_kept=settings.runs_kept_per_check,
            shared_writes=self.queue.shared,
        )
        self.lag_watch = LagWatch(ctx.clock)
        self.writer = ResultWriter(
            self.db,
            self.queue,
            ctx.clock,
            persister,
            batch_size=settings.batch_size,
            flush_interval=settings.flush_interval,
            on_stored=self._stored,
            lag_watch=self.lag_watch,
        )
        self.runner = Runner(
            self.queue,
            ctx,
            runnable(self.checks),
            self._hand_over,
            pools=settings.pools(),
            per_host=settings.per_host,
            team_share=settings.team_share,
            timeout_margin=settings.timeout_margin,
            lease_seconds=settings.claim_ttl,
            settings_cache=self.settings_cache,
            executor=check_processes,
        )
        self.check_processes = check_processes
        self.sweep = RetentionSweep(
            self.db,
            ctx.clock,
            settings.retention_days,
            rollup_types=[t.value for t, c in self.checks.items() if c.records_uptime],
            hourly_rollup_days=settings.hourly_rollup_days,
            aging_finding_types=aging_finding_types(self.checks),
        )
        if self.locations.others and not self.queue.shared:
            raise ValueError("checks sent to other locations need the shared queue (LOOKOUT_QUEUE=redis)")
        # A shared queue's depth is a round trip away: read in the background for /metrics,
        # for every location this engine schedules (a worker: its own).
        watched = (self.locations.home, *sorted(self.locations.others)) if schedule else (ctx.location,)
        self.shared_depth = (
            QueueDepth(self.queue, watched, tuple(settings.pools())) if self.queue.shared else None
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Checks with a requested run queued or running: a check has at most one.
        self._requested: set[int] = set()
        self._gc_before: tuple[int, int, int] | None = None

    def _stored(self, check_ids: Sequence[int]) -> None:
        self.scheduler.stored(check_ids)
        self._requested.difference_update(check_ids)

    async def _hand_over(self, lease: Lease, result: CheckResult) -> None:
        await self.writer.submit(lease, result)

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    async def start(self) -> None:
        if self._tasks:
            return
        self._raise_gc_threshold()
        if self.check_processes is not None:
            await self.check_processes.start()
        self._start_task("writer", self.writer.run)
        if self.run_checks:
            self._start_task("runner", self.runner.run)
        if self.schedule:
            self._start_task("scheduler", self.scheduler.run)
            self._start_task("sweep", self.sweep.run)
        if self.shared_depth is not None:
            await self.shared_depth.periodic.start()

    def _start_task(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks[name] = asyncio.create_task(loop(), name=f"lookout-engine-{name}")

    async def stop(self) -> None:
        """Drain: nothing new starts, running checks finish, every result is stored."""
        if not self._tasks:
            return
        if self.schedule:
            await self.scheduler.stop()
            await self.sweep.stop()
            await asyncio.gather(self._tasks.pop("scheduler"), self._tasks.pop("sweep"))
        if self.run_checks:
            await self.runner.stop()
            await self._tasks.pop("runner")
        if self.check_processes is not None:
            await self.check_processes.stop()
        if self.schedule:
            await self.scheduler.release_unstarted()
        else:
            await self.queue.drain_unleased(self.ctx.location)
        await self.writer.stop()
        await self._tasks.pop("writer")
        if self.shared_depth is not None:
            await self.shared_depth.periodic.stop()
        await self.queue.aclose()
        self.db.close()
        self._restore_gc_threshold()

    def _raise_gc_threshold(self) -> None:
        wanted = self.settings.gc_threshold
        before = gc.get_threshold()
        if wanted is not None and wanted > before[0]:
            gc.set_threshold(wanted, before[1], before[2])
            self._gc_before = before

    def _restore_gc_threshold(self) -> None:
        if self._gc_before is not None and gc.get_threshold()[0] == self.settings.gc_threshold:
            gc.set_threshold(*self._gc_before)
        self._gc_before = None

    def health(self) -> dict[str, object]:
        """What /ready and /metrics read: is it running, how stale is its schedule, how busy."""
        last = self.scheduler.last_tick_at
        return {
            "running": self.running,
            "seconds_since_tick": None if last is None else round(time.monotonic() - last, 3),
            "in_flight": self.runner.in_flight(),
            "check_processes": len(self.check_processes.pids()) if self.check_processes else 0,
            "behind_schedule": self.lag_watch.behind,
            "lag_last_minute": _lag_summary(self.lag_watch.last_minute()),
        }

    def queued(self) -> dict[tuple[str, str], int]:
        """Jobs waiting per (location, pool), for /metrics (only: a shared queue's count is
        read from Redis while this is asked, and /ready is asked all the time)."""
        if isinstance(self.queue, MemoryQueue):
            depth = self.queue.depth_by_pool(self.ctx.location)
            return {(self.ctx.location, pool): count for pool, count in depth.items()}
        return self.shared_depth.latest() if self.shared_depth is not None else {}

    async def request_run(self, check_id: int) -> bool:
        """Enqueue a run of the check now; False if it does not exist or cannot run here.
        A check whose requested run has not been stored yet gets no second one."""
        if check_id in self._requested:
            return True
        now = self.ctx.clock()
        due = await self.db.run(lambda session: self.store.job_source(session, check_id, now))
        if due is None:
            return False
        job = job_for(due, self.scheduler.routes, self.settings_cache, requested=True)
        if job is None:
            return False
        if check_id in self._requested:  # asked twice while the first read was in flight
            return True
        # A shared queue refuses a job of a check that has one queued or running (its run
        # may be stored by another process, which this one would never hear of): the run
        # asked for is that one.
        if not self.queue.shared:
            self._requested.add(check_id)
        await self.queue.put(job)
        return True


def _lag_summary(minute: MinuteLags | None) -> dict[str, object] | None:
    """The last whole minute's runs and lag quantiles (upper bounds in seconds, None when
    past the last bound), as /ready shows them."""
    if minute is None:
        return None
    return {
        "runs": minute.runs,
        "median_at_most": _finite(minute.at_most(0.5)),
        "p99_at_most": _finite(minute.at_most(0.99)),
    }


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value
