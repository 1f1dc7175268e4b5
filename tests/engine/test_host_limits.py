"""Per-host limits: never more than N at once, first come first served, cancel-safe."""

from __future__ import annotations

import asyncio

import pytest

from lookout.engine.host_limits import HostLimits


async def test_no_more_than_n_at_once_and_in_order() -> None:
    limits = HostLimits(2)
    running: list[int] = []
    peak = 0
    order: list[int] = []

    async def job(i: int) -> None:
        nonlocal peak
        await limits.acquire("a")
        try:
            order.append(i)
            running.append(i)
            peak = max(peak, len(running))
            await asyncio.sleep(0.01)
            running.remove(i)
        finally:
            limits.release("a")

    await asyncio.gather(*(job(i) for i in range(7)))
    assert peak == 2
    assert order == list(range(7))
    assert len(limits) == 0


async def test_hosts_do_not_share_slots() -> None:
    limits = HostLimits(1)
    await limits.acquire("a")
    await asyncio.wait_for(limits.acquire("b"), 0.1)
    limits.release("a")
    limits.release("b")
    assert len(limits) == 0


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    limits = HostLimits(1)
    await limits.acquire("a")
    waiting = asyncio.create_task(limits.acquire("a"))
    behind = asyncio.create_task(limits.acquire("a"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limits.release("a")
    await asyncio.wait_for(behind, 0.1)
    limits.release("a")
    assert len(limits) == 0


async def test_a_slot_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    limits = HostLimits(1)
    await limits.acquire("a")
    first = asyncio.create_task(limits.acquire("a"))
    second = asyncio.create_task(limits.acquire("a"))
    await asyncio.sleep(0)
    limits.release("a")  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 0.1)
    limits.release("a")
    assert len(limits) == 0
