"""Finds due checks in the store and enqueues them.

Due-ness lives in the store (`checks.next_run_at`), so a restart resumes every schedule
and an overdue check runs once, not once per missed interval; a check that was never run
(just enabled) is due at once, whatever its interval. Claiming pushes `next_run_at` ahead
by `claim_ttl`; the writer then sets the real next run. Only runnable check types that
declare a schedule are claimed: a derived check (performance) or an event-driven one
(cron) never is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pydantic import ValidationError

from lookout.checks.base import AnyCheck, Check
from lookout.engine.database import Database
from lookout.engine.queue.base import Job, Queue
from lookout.engine.settings_cache import SettingsCache
from lookout.model.check_type import CheckType
from lookout.model.dmonitor_points import PointMap
from lookout.store.repositories import engine as repo

log = logging.getLogger(__name__)
# How often the scheduler asks which locations have live workers (a round trip).
ROUTES_READ_EVERY = 5.0


def scheduled_types(checks: Mapping[CheckType, AnyCheck]) -> list[str]:
    """The check types the scheduler runs: runnable ones that declare a schedule."""
    return [t.value for t, check in checks.items() if isinstance(check, Check) and check.scheduled]


@dataclass(frozen=True, slots=True)
class Locations:
    """Where a check's jobs go: to `home` (this scheduler's LOOKOUT_LOCATION), unless its
    settings name one of `others` (LOOKOUT_LOCATIONS, where `lookout worker --location`
    processes run them), as Oh Dear's `location` setting ("paris" by default) picks one.

    A failure is confirmed from a second location, as Oh Dear does: the quick re-check of a
    failure not yet confirmed runs at another location, so that a check goes down only when
    two places saw it fail (its threshold counts both), and a network problem near one of
    them is not an outage. For a D-Monitor that is the first of its points' locations
    (`dmonitor_points` in its settings, located by `points`: LOOKOUT_DMONITOR_POINTS) other
    than the primary, since only a point's location gives the failover a verdict; for any
    other check, or when none of those has workers, the first other location by name. The
    scheduler's `routes` hold only the others where a worker takes jobs now: a location
    without one has its checks run at home (never left waiting, an outage unseen)."""

    home: str = "local"
    others: frozenset[str] = frozenset()
    points: PointMap = field(default_factory=PointMap)

    def of(self, settings: object, confirming: bool = False) -> str:
        named = getattr(settings, "location", None)
        primary = named if named in self.others else self.home
        if not (confirming and self.others):
            return primary
        elsewhere = (self.others | {self.home}) - {primary}
        dmonitor_points = getattr(settings, "dmonitor_points", None)
        if dmonitor_points:
            for point in self.points.points(dmonitor_points):
                location = self.points.location_of(point)
                if location in elsewhere:
                    return location
        return min(elsewhere)


def job_for(
    due: repo.DueCheck, locations: Locations, cache: SettingsCache, requested: bool = False
) -> Job | None:
    """A self-contained job for the location its settings choose; None when the stored
    settings no longer validate or the type cannot run here."""
    try:
        prepared = cache.get(due.check_id, due.check_type, due.monitor_type, due.settings)
    except (ValidationError, ValueError):  # ValueError: an unknown check or monitor type
        log.warning("check %s has invalid settings; not run", due.check_id)
        return None
    if not prepared.runnable:
        return None
    # An IP-level check (a D-Monitor's uptime) dials this address for the url's host.
    connect_ip = getattr(prepared.settings, "connect_ip", None)
    return Job(
        check_id=due.check_id,
        monitor_id=due.monitor_id,
        check_type=due.check_type,
        monitor_type=due.monitor_type,
        url=due.url,
        settings=due.settings,
        location=locations.of(prepared.settings, due.confirming),
        due_at=due.due_at,
        interval_seconds=prepared.interval,
        threshold=prepared.threshold,
        requested=requested,
        pool=prepared.pool,
        budget_seconds=prepared.timeout,
        team_id=due.team_id,
        extra={"connect_ip": connect_ip} if connect_ip else {},
    )


class Scheduler:
    def __init__(
        self,
        db: Database,
        store: repo.EngineStore,
        queue: Queue,
        clock: Callable[[], datetime],
        check_types: list[str],
        settings_cache: SettingsCache,
        *,
        locations: Locations | None = None,
        tick_interval: float = 0.25,
        claim_ttl: float = 30.0,
        max_pending: int = 5000,
        batch: int = 1000,
    ) -> None:
        self._db = db
        self._store = store
        self._queue = queue
        self._clock = clock
        self._types = check_types
        self._locations = locations or Locations()
        # The locations jobs go to now: the configured others that have live workers.
        self.routes = self._locations
        self._routes_read_at = -math.inf
        self._tick_interval = tick_interval
        self._claim_ttl = timedelta(seconds=claim_ttl)
        self._max_pending = max_pending
        self._batch = batch
        self._cache = settings_cache
        # Checks enqueued by this process whose result is not stored yet.
        self.pending: dict[int, datetime] = {}
        self._stopping = asyncio.Event()
        # When the last tick finished (monotonic); /ready reports a scheduler that stopped ticking.
        self.last_tick_at: float | None = None

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            pause = self._tick_interval
            try:
                enqueued = await self.tick()
                self.last_tick_at = time.monotonic()
                failures = 0
            except Exception:
                # The database or a shared queue's Redis is away: back off to 5 s between
                # tries, logging the first failure with its cause and then every 12th.
                if failures % 12 == 0:
                    log.exception("scheduler tick failed (%d in a row)", failures + 1)
                failures += 1
                enqueued = 0
                pause = min(5.0, self._tick_interval * 2 ** min(failures, 8))
            if enqueued < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def stop(self) -> None:
        self._stopping.set()

    async def tick(self) -> int:
        """Claim and enqueue what is due now; returns how many jobs were put."""
        room = min(self._batch, self._max_pending - len(self.pending))
        if room <= 0:
            return 0
        await self._read_routes()
        now = self._clock()
        claim_until = now + self._claim_ttl
        claim = self._store.claim_due
        due = await self._db.run(lambda session: claim(session, now, self._types, room, claim_until))
        jobs: list[Job] = []
        for row in due:
            if row.check_id in self.pending:
                # Still queued or running here: the claim just renewed it (a process that
                # dies leaves claims that run out within claim_ttl); its result sets the
                # next run.
                continue
            job = job_for(row, self.routes, self._cache)
            if job is not None:
                jobs.append(job)
        put = 0
        # A shared queue refuses a check whose job it holds already (the claim just renewed
        # it). Its jobs may be stored by another process, which this one would never hear
        # of, so the queue keeps track of them instead of `pending`.
        track = not self._queue.shared
        for job, queued in zip(jobs, await self._queue.put_all(jobs), strict=True):
            if not queued:
                continue
            if track:
                self.pending[job.check_id] = job.due_at
            put += 1
        return put

    async def _read_routes(self) -> None:
        """Every few seconds: which other locations have workers taking jobs."""
        configured = self._locations.others
        if not configured or time.monotonic() - self._routes_read_at < ROUTES_READ_EVERY:
            return
        live = frozenset(await self._queue.live(sorted(configured)))
        self._routes_read_at = time.monotonic()
        for gone in sorted(self.routes.others - live):
            log.warning("no worker takes checks at %s: they run at %s until one does", gone, self.routes.home)
        for back in sorted(live - self.routes.others):
            log.info("workers take checks at %s again", back)
        self.routes = replace(self._locations, others=live)

    def stored(self, check_ids: Iterable[int]) -> None:
        for check_id in check_ids:
            self.pending.pop(check_id, None)

    async def release_unstarted(self) -> int:
        """Give back the claims of jobs still waiting in the queue (a clean stop)."""
        jobs = await self._queue.drain_unleased(self._locations.home)
        due_at = {job.check_id: job.due_at for job in jobs if not job.requested}
        if due_at:
            await self._db.run(lambda session: self._store.release_claims(session, due_at))
        self.stored(job.check_id for job in jobs)
        return len(jobs)
