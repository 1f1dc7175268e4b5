"""The consumer reads state changes after a shared cursor (its cost is what happened since,
not the history), never acts on a change twice (the claim's compare-and-set), and takes one
check's changes strictly in order, even when another process holds an earlier one. Each
test has a database of its own: the cursor is global."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select

from lookout.failover.callbacks import CallbackSender, CallbackTuning
from lookout.failover.consumer import CURSOR, ConsumerTuning, FailoverConsumer
from lookout.failover.providers.memory import MemoryProvider
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.store.db import transaction
from lookout.store.tables.dns import DMonitorDown
from lookout.store.tables.failover import FailoverClaim, FailoverCursor
from lookout.store.tables.runs import StateChange
from tests.engine.seed import add_monitor
from tests.failover.conftest import World
from tests.failover.test_consumer import change


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def consumer(world: World, worker: str, clock: Clock, settle_s: float = 0.0) -> FailoverConsumer:
    guard = TargetGuard(Resolver.from_setting("127.0.0.1:1"), allow_private=True)
    callbacks = CallbackSender(world.store.sessions, lambda: HttpClient(guard), clock, CallbackTuning())
    return FailoverConsumer(
        world.store.sessions,
        world.executor(MemoryProvider()),
        callbacks,
        ConsumerTuning(poll_s=0.01, reconcile_every_s=3600, cursor_settle=timedelta(seconds=settle_s)),
        clock,
        worker,
    )


def cursor(world: World) -> int:
    with world.store.sessions() as session:
        return int(session.scalar(select(FailoverCursor.last_id).where(FailoverCursor.name == CURSOR)) or 0)


def head(world: World) -> int:
    with world.store.sessions() as session:
        return int(session.scalar(select(func.max(StateChange.id))) or 0)


def other_changes(world: World, count: int) -> None:
    """History of an ordinary monitor: state changes failover must step over."""
    ids = add_monitor(world.store.sessions, "127.0.0.1:9")
    at = datetime.now(UTC)
    with transaction(world.store.sessions) as session:
        for n in range(count):
            session.add(
                StateChange(
                    check_id=ids["uptime"],
                    monitor_id=ids["monitor"],
                    kind="failed" if n % 2 == 0 else "recovered",
                    from_status="up",
                    to_status="down",
                    result="failed",
                    reason="x",
                    created_at=at,
                )
            )


def downs(world: World) -> list[DMonitorDown]:
    with world.store.sessions() as session:
        return list(
            session.scalars(
                select(DMonitorDown)
                .where(DMonitorDown.d_monitor_id == world.d_monitor_id)
                .order_by(DMonitorDown.id)
            )
        )


def state_change_ranges(world: World) -> tuple[list[list[int]], Callable[..., None]]:
    """The statements that read state_changes, captured while a round runs."""
    seen: list[list[int]] = []

    def capture(conn: object, cur: object, statement: str, params: object, *_: object) -> None:
        if "FROM state_changes" in statement and "failover_claims" in statement:
            values = list(params.values()) if isinstance(params, dict) else list(params)  # type: ignore[call-overload]
            seen.append([v for v in values if isinstance(v, int)])

    event.listen(world.store.engine, "before_cursor_execute", capture)
    return seen, capture


async def test_the_cursor_steps_over_history_and_a_round_reads_only_what_is_new(
    fresh_world: World,
) -> None:
    world = fresh_world
    clock = Clock()
    other_changes(world, 300)
    first = change(world, "failed", "down")
    other_changes(world, 50)
    taker = consumer(world, "one", clock)
    assert await taker.run_once() == 1
    assert len(downs(world)) == 1
    # Everything up to the newest change is done: the cursor is there.
    assert cursor(world) == head(world) > first
    seen, capture = state_change_ranges(world)
    try:
        last = head(world)
        recovered = change(world, "recovered", "up")
        assert await taker.run_once() == 1
        assert await taker.run_once() == 0
    finally:
        event.remove(world.store.engine, "before_cursor_execute", capture)
    assert downs(world)[0].recovered_at is not None
    # Each read of state_changes started at the cursor, never at the start of history.
    # The first number bound to each read is its lower id bound: the cursor.
    assert seen and all(ints[0] in (last, recovered) for ints in seen), seen
    assert cursor(world) == recovered


async def test_the_cursor_waits_for_late_ids_and_never_passes_an_unfinished_change(
    fresh_world: World,
) -> None:
    world = fresh_world
    clock = Clock()
    taker = consumer(world, "one", clock, settle_s=30)
    other_changes(world, 10)
    held = change(world, "failed", "down")
    with transaction(world.store.sessions) as session:  # another process is on it
        session.add(
            FailoverClaim(
                state_change_id=held, claimed_by="two", claimed_until=clock.now + timedelta(seconds=60)
            )
        )
    other_changes(world, 10)
    assert await taker.run_once() == 0
    assert cursor(world) == 0  # a head seen just now may still have lower ids to come
    clock.now += timedelta(seconds=31)
    assert await taker.run_once() == 0
    assert cursor(world) == held - 1  # up to the change another process holds
    clock.now += timedelta(seconds=61)  # that process died: its claim expired
    assert await taker.run_once() == 1
    clock.now += timedelta(seconds=31)
    await taker.run_once()
    assert cursor(world) == head(world)


async def test_one_checks_changes_are_taken_in_order(fresh_world: World) -> None:
    world = fresh_world
    clock = Clock()
    failed = change(world, "failed", "down")
    recovered = change(world, "recovered", "up")
    with transaction(world.store.sessions) as session:
        session.add(
            FailoverClaim(
                state_change_id=failed, claimed_by="two", claimed_until=clock.now + timedelta(seconds=60)
            )
        )
    taker = consumer(world, "one", clock)
    # The recovery waits while the failure before it is another process's.
    assert await taker.run_once() == 0
    with world.store.sessions() as session:
        assert session.get(FailoverClaim, recovered) is None
    assert downs(world) == []
    clock.now += timedelta(seconds=61)
    assert await taker.run_once() == 2
    (down,) = downs(world)
    # Failure then recovery: the outage was opened and then closed, not the other way.
    assert down.recovered_at is not None and world.d_monitor().status == "Ok"


async def test_two_processes_at_once_act_once_on_each_change(fresh_world: World) -> None:
    world = fresh_world
    clock = Clock()
    for n in range(6):
        change(world, "failed" if n % 2 == 0 else "recovered", "down" if n % 2 == 0 else "up")
    one, two = consumer(world, "one", clock), consumer(world, "two", clock)
    taken = await asyncio.gather(one.run_once(), two.run_once(), one.run_once(), two.run_once())
    assert sum(taken) == 6
    assert len(downs(world)) == 3 and all(d.recovered_at is not None for d in downs(world))
    with world.store.sessions() as session:
        claims = session.scalars(select(FailoverClaim.done_at)).all()
    assert len(claims) == 6 and all(done is not None for done in claims)
