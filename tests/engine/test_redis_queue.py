"""What only the shared queue does: refuse a check's second job, let a runner take over the
jobs of one that died (and only those), and hand a stopping runner's read-ahead back."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import redis

from lookout.engine.queue import Job
from tests.conftest import REDIS_URL
from tests.engine.test_queue import ROOMY, Queues, Room, job
from tests.engine.test_queue import queues as queues  # the fixture

pytestmark = pytest.mark.redis


async def test_a_check_has_one_job_queued_or_running_at_most(queues: Queues) -> None:
    # Scheduled or requested, at any location: two runs of a check stored at once by two
    # processes would each start from the same evaluator state and ring slot.
    serve, worker = queues(), queues()
    assert await serve.put(job(1))
    assert not await serve.put(job(1))  # the scheduler renewing its claim: no second job
    requested = Job(1, 1, "uptime", "tcp", "127.0.0.1:1", {}, "local", datetime.now(UTC), requested=True)
    assert not await serve.put(requested)  # the run asked for is the queued one
    assert not await serve.put(job(1, location="paris"))
    (lease,) = await worker.take("local", "fast", 10, 0, ROOMY)
    assert not await serve.put(requested)  # running now
    await worker.ack_all([lease])
    assert await serve.put(requested) and not await serve.put(job(1))
    (lease,) = await worker.take("local", "fast", 10, 0, ROOMY)
    assert lease.job.requested
    await worker.ack_all([lease])
    assert await serve.put(job(1))


async def test_a_job_crosses_intact(queues: Queues) -> None:
    sent = Job(
        7,
        3,
        "uptime",
        "http",
        "https://a.example/x?y=1",
        {"check_interval_in_seconds": 60, "http_headers": [{"name": "X", "value": "ü"}]},
        "local",
        datetime.now(UTC).replace(microsecond=123456),
        interval_seconds=None,
        threshold=2,
        requested=True,
        extra={"connect_ip": "192.0.2.7"},
        pool="crawl",
        budget_seconds=12.5,
        team_id=4,
    )
    queue = queues()
    await queue.put(sent)
    (lease,) = await queue.take("local", "crawl", 1, 0, ROOMY)
    assert lease.job == sent and lease.attempt == 1


class NoRoom:
    def free(self, team_id: int, host: str) -> int:
        return 0

    def team_free(self, team_id: int, contended: bool) -> int:
        return 0


async def test_another_runner_takes_over_a_dead_runners_jobs_and_not_a_live_ones_read_ahead(
    queues: Queues,
) -> None:
    serve, dead, live, other = queues(), queues(0.2), queues(0.2), queues(0.2)
    for i in range(4):
        await serve.put(job(i, url=f"h{i}.example:80"))
    # `dead` starts one job, then dies (its connections and upkeep end, nothing is acknowledged).
    assert [lease.job.check_id for lease in await dead.take("local", "fast", 1, 0, ROOMY)] == [0]
    await dead.aclose()
    # `live` reads the other three ahead but has no room to start them, and takes nothing
    # more for a while (a full pool).
    assert await live.take("local", "fast", 3, 0, NoRoom()) == []
    await asyncio.sleep(0.6)
    # 0.6 s on, past the visibility timeout: `live` has taken over what the dead one held,
    # and nothing it read ahead itself is up for grabs.
    assert await other.take("local", "fast", 10, 0, ROOMY) == []
    taken = await live.take("local", "fast", 10, 0, ROOMY)
    assert sorted((lease.job.check_id, lease.attempt) for lease in taken) == [(0, 2), (1, 1), (2, 1), (3, 1)]


async def test_a_stopping_runner_hands_its_read_ahead_to_the_others(queues: Queues) -> None:
    serve, stopping, other = queues(), queues(), queues()
    for i in range(4):
        await serve.put(job(i, url="one.example:80"))
    room = Room(per_host=1)
    (running,) = await stopping.take("local", "fast", 10, 0, room)  # three more read ahead
    assert await stopping.drain_unleased("local") == []  # they stay queued: no claim to release
    taken = await other.take("local", "fast", 10, 0, ROOMY)
    assert sorted(lease.job.check_id for lease in taken) == [1, 2, 3]
    await stopping.ack(running)
    assert await other.take("local", "fast", 10, 0, ROOMY) == []


async def test_an_unreadable_entry_is_dropped_and_the_rest_run(queues: Queues) -> None:
    queue = queues()
    await queue.put(job(1))
    client = redis.Redis.from_url(REDIS_URL)
    stream = f"{queues.prefix}local:fast:t0"
    client.xadd(stream, {"job": b"{not json"})
    await queue.put(job(2, url="127.0.0.2:1"))
    taken = await queue.take("local", "fast", 10, 0, ROOMY)
    assert [lease.job.check_id for lease in taken] == [1, 2]
    await queue.ack_all(taken)
    assert client.xlen(stream) == 0
    client.close()


async def test_a_job_older_than_twice_its_held_mark_is_dropped_unrun(queues: Queues) -> None:
    # Workers away for hours: each check's held mark expired every hour and the scheduler
    # queued it again. What is older than twice the mark's life (2 h with the product's 30 s
    # visibility timeout) is not run.
    serve, worker = queues(visibility_timeout=30.0), queues(visibility_timeout=30.0)
    hours_ago = datetime.now(UTC) - timedelta(hours=3)
    await serve.put(dataclasses.replace(job(1), due_at=hours_ago))
    await serve.put(dataclasses.replace(job(2), due_at=hours_ago, requested=True))
    await serve.put(job(3))
    leases = await worker.take("local", "fast", 10, 0, ROOMY)
    assert [lease.job.check_id for lease in leases] == [3]
    assert await worker.waiting("local", ("fast",)) == {"fast": 0}
    client = redis.Redis.from_url(REDIS_URL)
    assert client.xlen(f"{queues.prefix}local:fast:t0") == 1  # only the running one is left
    assert client.exists(f"{queues.prefix}held:1")  # left to expire: may be a newer job's


async def test_a_location_is_live_while_a_runner_takes_jobs_there(queues: Queues) -> None:
    serve, worker = queues(), queues()
    assert await serve.live(["paris", "tokyo"]) == set()
    await worker.take("paris", "fast", 1, 0, ROOMY)  # its upkeep marks the location at once
    for _ in range(100):
        if await serve.live(["paris", "tokyo"]):
            break
        await asyncio.sleep(0.01)
    assert await serve.live(["paris", "tokyo"]) == {"paris"}
    ttl = redis.Redis.from_url(REDIS_URL).pttl(f"{queues.prefix}alive:paris")
    assert 0 < ttl <= 2 * 300_000  # two visibility timeouts: it lapses when the runner is gone
