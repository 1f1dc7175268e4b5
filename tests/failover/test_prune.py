"""Failover's own rows do not grow forever: finished claims below the cursor and finished
callbacks with their attempts go after the retention (LOOKOUT_RUN_RETENTION_DAYS), in
small batches, in the consumer's round; what is newer stays, and a pruned claim's change
is never taken again. A database of the test's own: the cursor is global."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lookout.failover.callbacks import CallbackSender, CallbackTuning
from lookout.failover.consumer import ConsumerTuning, FailoverConsumer
from lookout.failover.providers.memory import MemoryProvider
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.store.tables.failover import FailoverCallback, FailoverCallbackAttempt, FailoverClaim
from tests.failover.conftest import World
from tests.failover.sites import CallbackReceiver
from tests.failover.test_consumer import change, set_callback
from tests.failover.test_cursor import Clock, downs


def consumer(world: World, clock: Clock) -> FailoverConsumer:
    guard = TargetGuard(Resolver.from_setting("127.0.0.1:1"), allow_private=True)
    callbacks = CallbackSender(world.store.sessions, lambda: HttpClient(guard), clock, CallbackTuning())
    return FailoverConsumer(
        world.store.sessions,
        world.executor(MemoryProvider()),
        callbacks,
        ConsumerTuning(
            poll_s=0.01,
            reconcile_every_s=3600,
            cursor_settle=timedelta(0),
            retention=timedelta(days=14),
            prune_every_s=0,
            prune_batch=1,
        ),
        clock,
        "pruner",
    )


def count(world: World, table: type) -> int:
    with world.store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


async def test_old_claims_and_callbacks_are_pruned_and_new_ones_kept(fresh_world: World) -> None:
    world = fresh_world
    receiver = CallbackReceiver("k3y")
    try:
        set_callback(world, receiver.url, "k3y")
        clock = Clock()
        taker = consumer(world, clock)
        change(world, "failed", "down")
        change(world, "recovered", "up")
        assert await taker.run_once() == 2
        assert receiver.statuses() == ["Down", "Ok"]
        assert (count(world, FailoverClaim), count(world, FailoverCallback)) == (2, 2)
        assert count(world, FailoverCallbackAttempt) == 2

        # Two weeks later (and a day): a new outage; the round prunes the old rows.
        clock.now += timedelta(days=15)
        newest = change(world, "failed", "down")
        assert await taker.run_once() == 1
        with world.store.sessions() as session:
            assert list(session.scalars(select(FailoverClaim.state_change_id))) == [newest]
            left = list(session.scalars(select(FailoverCallback.state_change_id)))
        assert left == [newest]
        assert count(world, FailoverCallbackAttempt) == 1
        assert receiver.statuses() == ["Down", "Ok", "Down"]

        # The pruned claims' changes are below the cursor: never taken again.
        assert await taker.run_once() == 0
        assert len(downs(world)) == 2
    finally:
        receiver.close()


async def test_nothing_newer_than_the_retention_goes(fresh_world: World) -> None:
    world = fresh_world
    clock = Clock()
    taker = consumer(world, clock)
    for n in range(4):
        change(world, "failed" if n % 2 == 0 else "recovered", "down" if n % 2 == 0 else "up")
    assert await taker.run_once() == 4
    clock.now += timedelta(days=13)
    assert taker.prune() == 0
    assert count(world, FailoverClaim) == 4
    clock.now += timedelta(days=2)
    assert taker.prune() == 4  # one batch of one at a time
    assert count(world, FailoverClaim) == 0
