from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from lookout.engine.queue import Job, MemoryQueue


def job(check_id: int, location: str = "local") -> Job:
    return Job(check_id, 1, "uptime", "tcp", "127.0.0.1:1", {}, location, datetime.now(UTC))


async def test_take_leases_in_order_up_to_max() -> None:
    queue = MemoryQueue()
    for i in range(5):
        await queue.put(job(i))
    leases = await queue.take("local", 3, 0)
    assert [lease.job.check_id for lease in leases] == [0, 1, 2]
    assert queue.depth("local") == 2


async def test_locations_are_separate_and_take_waits_for_a_put() -> None:
    queue = MemoryQueue()
    await queue.put(job(1, "paris"))
    assert await queue.take("local", 10, 0.05) == []
    waiter = asyncio.create_task(queue.take("local", 10, 2))
    await asyncio.sleep(0.01)
    await queue.put(job(2))
    assert [lease.job.check_id for lease in await waiter] == [2]


async def test_unacked_lease_comes_back_after_the_visibility_timeout() -> None:
    queue = MemoryQueue(visibility_timeout=0.05)
    await queue.put(job(7))
    (first,) = await queue.take("local", 1, 0)
    assert await queue.take("local", 1, 0) == []
    await asyncio.sleep(0.06)
    (again,) = await queue.take("local", 1, 0)
    assert again.job.check_id == 7 and again.attempt == 2
    await queue.ack(again)
    await asyncio.sleep(0.06)
    assert await queue.take("local", 1, 0) == []


async def test_nack_returns_the_job_and_extend_keeps_it() -> None:
    queue = MemoryQueue(visibility_timeout=0.05)
    await queue.put(job(1))
    await queue.put(job(2))
    one, two = await queue.take("local", 2, 0)
    await queue.nack(one)
    await queue.extend(two, 10)
    await asyncio.sleep(0.06)
    leases = await queue.take("local", 5, 0)
    assert [lease.job.check_id for lease in leases] == [1]


async def test_drain_unleased_empties_only_the_waiting_jobs() -> None:
    queue = MemoryQueue()
    for i in range(3):
        await queue.put(job(i))
    await queue.take("local", 1, 0)
    assert [j.check_id for j in await queue.drain_unleased("local")] == [1, 2]
    assert queue.depth("local") == 0
