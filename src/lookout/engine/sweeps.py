"""Periodic housekeeping that keeps storage bounded per check.

Runs that were not a success age out after the retention (successes live in each check's
ring of slots and need no sweep), and so do state changes once their check has recovered
(with their messages), the messages of no change and, once a day, a crawl's resolved
findings. Minute rollups go after 48 hours; closed half hours of minutes are packed into
one block each (`store/minute_blob.py`); finished hours move from their live rows into
their day's row (`store/hour_blob.py`), finished days are packed into one block each, and
the days older than the hourly retention are added up into one entry each. Each step is a
small transaction, so no sweep holds the write lock for long.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial

from lookout.engine.database import Database
from lookout.engine.rollups import epoch_hour, epoch_minute
from lookout.model.check_type import CheckType
from lookout.periodic import Periodic
from lookout.store import hour_blob, minute_blob
from lookout.store.repositories import notifications, runs

log = logging.getLogger(__name__)

MINUTE_ROLLUP_HOURS = 48
CHECKS_PER_CHUNK = 1000
# Packing is Python work on the engine's database thread, which the writer's batches and
# the scheduler's claims wait for: for 1,000 checks a day took about 0.24 s to pack (240 µs
# a jittered day), two half hours about 0.35 s, a week's coarsening on the first sweep
# about 0.8 s (115 µs a day); 200 checks keep each turn under about 160 ms.
PACK_CHECKS_PER_CHUNK = 200
# Half hours a sweep packs (`pack_minutes`): four, so an hourly sweep sees each one twice.
PACK_HALF_HOURS = 4
HOURLY_ROLLUP_DAYS = 31
# Days a sweep coarsens after its first (which walks back from the edge, see coarsen_days):
# the two before the retention's edge, so each day is seen by a day's hourly sweeps and a
# late hour folded into it meanwhile is added in.
COARSEN_DAYS = 2
COARSEN_STEP_DAYS = 7
# A day is packed (`pack_days`) once the day after it is over: its last hour was folded a
# day ago, so a late hour after the block is rare (and read like any other entry).
PACK_DAYS_AFTER = 2
# A crawl's resolved findings are looked for once a day: crawls run daily, and the walk
# reads every crawl check (300,000 of them beside 100,000 monitors).
FINDINGS_SWEPT_EVERY = timedelta(days=1)


def aging_finding_types(checks: Mapping[CheckType, object]) -> list[str]:
    """The check types whose resolved findings age out (`FindingsSpec.keep_resolved`)."""
    return sorted(
        check_type.value
        for check_type, check in checks.items()
        if (spec := getattr(check, "findings", None)) is not None and not spec.keep_resolved
    )


class RetentionSweep:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        retention_days: int = 14,
        every_seconds: float = 3600.0,
        minute_rollup_hours: int = MINUTE_ROLLUP_HOURS,
        rollup_types: Sequence[str] | None = None,
        hourly_rollup_days: int = HOURLY_ROLLUP_DAYS,
        aging_finding_types: Sequence[str] = (),
    ) -> None:
        self._db = db
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._minutes_kept = timedelta(hours=minute_rollup_hours)
        self._hours_kept = timedelta(days=hourly_rollup_days)
        self._coarsened_once = False
        # The newest day this process packed; None until its first sweep.
        self._packed_day: int | None = None
        self._every = every_seconds
        # Only checks of these types have minute and hour rollups to sweep (None: every
        # check). Every monitor carries a check of each of 14 types: walking them all took
        # the database thread from the writer at 100,000 monitors (1.4 million rows, 3 passes).
        self._rollup_types = rollup_types
        # Checks whose resolved findings age out (crawls); walked once a day, not hourly.
        self._finding_types = list(aging_finding_types)
        self._findings_swept_at: datetime | None = None
        self._loop = Periodic("retention sweep", self.sweep, lambda: self._every, log)

    async def sweep(self) -> int:
        """Delete what aged out (runs, changes, messages, findings, minute rollups), pack
        minutes, fold and pack hours, coarsen old days; how many rows went or moved."""
        return (
            await self.sweep_runs()
            + await self.sweep_changes()
            + await self.sweep_findings()
            + await self.sweep_minutes()
            + await self.pack_minutes()
            + await self.fold_hours()
            + await self.pack_days()
            + await self.coarsen_days()
        )

    async def _chunks(
        self, size: int = CHECKS_PER_CHUNK, types: Sequence[str] | None = None
    ) -> AsyncIterator[list[int]]:
        """The checks of `types` (default: the rollup checks), `size` ids at a time, as they
        were when the walk began (a check added meanwhile has nothing old to sweep; one
        deleted meanwhile matches no row)."""
        ids = await self._db.run(
            partial(runs.all_check_ids, types=self._rollup_types if types is None else types)
        )
        for start in range(0, len(ids), size):
            yield ids[start : start + size]

    async def sweep_runs(self) -> int:
        return await self._until_done(runs.delete_runs_before)

    async def sweep_changes(self) -> int:
        """State changes past the retention whose check recovered since, and the messages
        of no change (reminders, summaries) past it: how many rows went."""
        return await self._until_done(runs.delete_changes_before) + await self._until_done(
            notifications.delete_messages_before
        )

    async def sweep_findings(self) -> int:
        """Once a day: the findings resolved before the retention of the checks whose
        resolved findings nobody reads (`FindingsSpec.keep_resolved`); how many went."""
        now = self._clock()
        last = self._findings_swept_at
        if not self._finding_types or (last is not None and now - last < FINDINGS_SWEPT_EVERY):
            return 0
        total = 0
        step = partial(runs.delete_resolved_findings, cutoff=now - self._retention, chunk=runs.DELETE_CHUNK)
        async for chunk in self._chunks(CHECKS_PER_CHUNK, self._finding_types):
            while (deleted := await self._db.run(partial(step, check_ids=chunk))) == runs.DELETE_CHUNK:
                total += deleted
            total += deleted
        self._findings_swept_at = now
        return total

    async def _until_done(self, step: Callable[..., int]) -> int:
        """Run a chunked delete of rows older than the retention until a chunk comes short."""
        cutoff = self._clock() - self._retention
        total = 0
        while True:
            deleted = await self._db.run(partial(step, cutoff=cutoff, chunk=runs.DELETE_CHUNK))
            total += deleted
            if deleted < runs.DELETE_CHUNK:
                return total

    async def sweep_minutes(self) -> int:
        """Walk the checks in chunks; each chunk's old minutes are primary-key ranges."""
        cutoff = epoch_minute(self._clock() - self._minutes_kept)
        total = 0
        async for chunk in self._chunks():
            total += await self._db.run(
                partial(runs.delete_minutes_before, check_ids=chunk, cutoff_minute=cutoff)
            )
        return total

    async def pack_minutes(self) -> int:
        """Pack the minute rows of the half hours that closed a while ago (the last
        `PACK_HALF_HOURS` before the previous one, so each is seen by a few hourly sweeps)
        into one block each; how many rows were packed."""
        before = epoch_minute(self._clock()) // minute_blob.MINUTES_PER_ROW - 1
        total = 0
        async for chunk in self._chunks(PACK_CHECKS_PER_CHUNK):
            total += await self._db.run(
                partial(
                    runs.pack_minutes,
                    check_ids=chunk,
                    first_half_hour=before - PACK_HALF_HOURS,
                    before_half_hour=before,
                )
            )
        return total

    async def fold_hours(self) -> int:
        """Pack the hours before the current one, a chunk of checks per transaction."""
        before = epoch_hour(self._clock())
        total = 0
        async for chunk in self._chunks():
            total += await self._db.run(partial(runs.fold_hours, check_ids=chunk, before_hour=before))
        return total

    async def pack_days(self) -> int:
        """Pack each finished day of hours into one block (`hour_blob.pack`); how many rows
        were packed. A day is packed once, by the first sweep `PACK_DAYS_AFTER` days after
        it began. After a start the first sweep walks back a day at a time and stops at the
        first day with nothing to pack (the last process packed what lies behind it; after
        an upgrade this packs every day still kept by the hour, once)."""
        newest = epoch_hour(self._clock()) // hour_blob.HOURS_PER_ROW - PACK_DAYS_AFTER
        if self._packed_day is not None:
            first, self._packed_day = self._packed_day + 1, newest
            return await self._over_days(runs.pack_days, first, newest + 1) if first <= newest else 0
        oldest = epoch_hour(self._clock() - self._hours_kept) // hour_blob.HOURS_PER_ROW
        total, day = 0, newest
        while day >= oldest and (packed := await self._over_days(runs.pack_days, day, day + 1)):
            total += packed
            day -= 1
        self._packed_day = newest
        return total

    async def coarsen_days(self) -> int:
        """Add up the hours of each day past the hourly retention into one entry; how many
        days were coarsened. After a start the first sweep walks back from the retention's
        edge a week at a time and stops at the first week with nothing left to coarsen (the
        last process's sweeps coarsened what lies behind it): a restart reads a week or two
        of rows, not every day the store holds (a week without rollups, a stop that long,
        ends the walk too: days behind it keep their hours, exact but larger). Later sweeps
        take the days at the edge."""
        before = epoch_hour(self._clock() - self._hours_kept) // hour_blob.HOURS_PER_ROW
        if self._coarsened_once:
            return await self._over_days(runs.coarsen_days, before - COARSEN_DAYS, before)
        # No lower bound is needed: the week before the oldest day has nothing to coarsen.
        total, high = 0, before
        while coarsened := await self._over_days(runs.coarsen_days, high - COARSEN_STEP_DAYS, high):
            total += coarsened
            high -= COARSEN_STEP_DAYS
        self._coarsened_once = True
        return total

    async def _over_days(self, step: Callable[..., int], first_day: int, before_day: int) -> int:
        """Run a repository step over every rollup check's days in [first_day, before_day),
        a chunk of checks per transaction; what the steps return, added up."""
        total = 0
        async for chunk in self._chunks(PACK_CHECKS_PER_CHUNK):
            total += await self._db.run(
                partial(step, check_ids=chunk, first_day=first_day, before_day=before_day)
            )
        return total

    async def run(self) -> None:
        await self._loop.run()

    async def stop(self) -> None:
        await self._loop.stop()
