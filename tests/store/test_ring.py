"""Successful runs live in a ring of slots per check; other runs age out by the retention."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lookout.engine.database import Database
from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.engine.sweeps import RetentionSweep
from lookout.model.result import CheckResult, Outcome
from lookout.store.db import transaction
from lookout.store.tables import CheckRun, CheckState, MinuteRollup
from tests.engine.seed import add_monitor, migrated, persist

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_ring_keeps_the_last_successes_under_new_ids_and_the_sweep_the_rest(database_url: str) -> None:
    factory = migrated(database_url)
    ids = add_monitor(factory, "ring.example:443")
    outcomes = [Outcome.SUCCEEDED] * 5 + [Outcome.FAILED] + [Outcome.SUCCEEDED] * 3
    for i, outcome in enumerate(outcomes):
        at = T0 + timedelta(days=i)
        job = Job(
            ids["uptime"], ids["monitor"], "uptime", "tcp", "ring.example:443", {}, "local", at, 60.0, 1
        )
        with transaction(factory) as session:
            persist(session, [Finished(job, CheckResult(outcome, outcome.value, at, at))], at, runs_kept=3)
    with factory() as session:
        kept = session.execute(
            select(CheckRun.id, CheckRun.started_at, CheckRun.slot).where(CheckRun.check_id == ids["uptime"])
        ).all()
        state = session.get(CheckState, ids["uptime"])
        assert state is not None and state.success_count == 8
    days = [(row.started_at - T0).days for row in kept]
    # the last three successes (days 6, 7, 8) in slots, and the failure (day 5) without one
    assert sorted(days) == [5, 6, 7, 8]
    assert {row.slot for row in kept if (row.started_at - T0).days != 5} == {0, 1, 2}
    # Each run got a fresh id, later runs higher ones: a replaced run's id is never reused.
    by_day = [row.id for row in sorted(kept, key=lambda row: row.started_at)]
    assert by_day == sorted(set(by_day)) and by_day[-1] >= len(outcomes)

    sweep = RetentionSweep(Database(factory), lambda: T0 + timedelta(days=20), retention_days=14)
    asyncio.run(sweep.sweep())
    with factory() as session:
        left = session.scalars(select(CheckRun.started_at).where(CheckRun.check_id == ids["uptime"])).all()
        minutes = session.scalars(
            select(MinuteRollup.half_hour).where(MinuteRollup.check_id == ids["uptime"])
        ).all()
    assert sorted((at - T0).days for at in left) == [6, 7, 8]  # the old failure aged out; the ring stays
    assert minutes == []  # and every minute rollup, all older than 48 hours


def test_two_processes_storing_runs_of_one_check_store_them_one_after_the_other(database_url: str) -> None:
    """A job taken over from a runner that stalled is run twice, and both runs are stored:
    the second writer waits for the first's commit and takes the next slot of the ring, where
    reading side by side both took slot 0 and the second run replaced the first."""
    factory = migrated(database_url)
    ids = add_monitor(factory, "twice.example:443")
    job = Job(ids["uptime"], ids["monitor"], "uptime", "tcp", "twice.example:443", {}, "local", T0, 60.0, 1)
    first_stored, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def store(at: datetime, hold: bool) -> None:
        try:
            with transaction(factory) as session:
                if not hold:
                    second_started.set()
                result = CheckResult(Outcome.SUCCEEDED, "ok", at, at)
                persist(session, [Finished(job, result)], at, shared_writes=True)
                if hold:
                    first_stored.set()
                    second_started.wait(5)
                    time.sleep(0.5)  # the second writer reads (unlocked) or waits (locked) meanwhile
        except BaseException as exc:  # surfaced by the test thread below
            errors.append(exc)

    first = threading.Thread(target=store, args=(T0, True))
    first.start()
    assert first_stored.wait(10)
    second = threading.Thread(target=store, args=(T0 + timedelta(seconds=5), False))
    second.start()
    first.join(20)
    second.join(20)
    assert not errors, errors
    with factory() as session:
        kept = session.execute(
            select(CheckRun.started_at, CheckRun.slot).where(CheckRun.check_id == ids["uptime"])
        ).all()
        state = session.get(CheckState, ids["uptime"])
        assert state is not None and state.success_count == 2
    assert sorted((row.slot, row.started_at) for row in kept) == [(0, T0), (1, T0 + timedelta(seconds=5))]
