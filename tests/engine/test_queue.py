"""The queue contract, run on the embedded queue and on Redis Streams (the shared one)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from lookout.engine.host_slots import HostSlots
from lookout.engine.queue import Job, MemoryQueue, Queue
from lookout.engine.queue.redis_streams import RedisStreamsQueue
from tests.conftest import REDIS_URL, forget_redis_keys, need_service

MakeQueue = Callable[..., Queue]


class Room:
    """Host room from HostSlots, and a fixed number of slots per team while contended."""

    def __init__(self, per_host: int = 1000, per_team: int = 1000) -> None:
        self.hosts = HostSlots(per_host)
        self.per_team = per_team
        self.teams: dict[int, int] = {}

    def free(self, team_id: int, host: str) -> int:
        return self.hosts.free((team_id, host))

    def team_free(self, team_id: int, contended: bool) -> int:
        return self.per_team - self.teams.get(team_id, 0) if contended else 1000

    def hold(self, job: Job) -> None:
        self.hosts.hold((job.team_id, job.host))
        self.teams[job.team_id] = self.teams.get(job.team_id, 0) + 1


ROOMY = Room()


class Queues:
    """Redis Streams queues sharing one test's key prefix, as processes share a Redis."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.made: list[RedisStreamsQueue] = []

    def __call__(self, visibility_timeout: float = 300.0) -> RedisStreamsQueue:
        queue = RedisStreamsQueue(REDIS_URL, prefix=self.prefix, visibility_timeout=visibility_timeout)
        self.made.append(queue)
        return queue


@pytest.fixture
async def queues() -> AsyncIterator[Queues]:
    need_service("Redis", "127.0.0.1", 6379)
    made = Queues(f"lookout-test:{uuid.uuid4().hex}:")
    yield made
    for queue in made.made:
        await queue.aclose()
    forget_redis_keys(f"{made.prefix}*")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_queue(request: pytest.FixtureRequest) -> MakeQueue:
    """Queues of one kind (the contract holds for both)."""
    if request.param == "memory":
        return lambda visibility_timeout=300.0: MemoryQueue(visibility_timeout)
    made: Queues = request.getfixturevalue("queues")
    return made


def job(
    check_id: int, location: str = "local", url: str = "127.0.0.1:1", pool: str = "fast", team: int = 0
) -> Job:
    return Job(check_id, 1, "uptime", "tcp", url, {}, location, datetime.now(UTC), pool=pool, team_id=team)


async def test_take_leases_in_order_up_to_max(make_queue: MakeQueue) -> None:
    queue = make_queue()
    jobs = [job(i) for i in range(5)]
    for each in jobs:
        assert await queue.put(each)
    leases = await queue.take("local", "fast", 3, 0, ROOMY)
    assert [lease.job for lease in leases] == jobs[:3]
    assert [lease.job for lease in await queue.take("local", "fast", 10, 0, ROOMY)] == jobs[3:]


async def test_locations_and_pools_are_separate_and_take_waits_for_a_put(make_queue: MakeQueue) -> None:
    queue = make_queue()
    await queue.put(job(1, "paris"))
    await queue.put(job(3, pool="crawl"))
    assert await queue.take("local", "fast", 10, 0.05, ROOMY) == []
    waiter = asyncio.create_task(queue.take("local", "fast", 10, 2, ROOMY))
    await asyncio.sleep(0.01)
    await queue.put(job(2))
    assert [lease.job.check_id for lease in await waiter] == [2]
    assert [lease.job.check_id for lease in await queue.take("local", "crawl", 10, 0, ROOMY)] == [3]


async def test_hosts_take_turns_and_a_full_host_is_passed_over_unleased(make_queue: MakeQueue) -> None:
    queue = make_queue()
    for i in range(6):
        await queue.put(job(i, url="busy.example:80"))
    await queue.put(job(100, url="a.example:80"))
    await queue.put(job(101, url="b.example:80"))
    slots = Room(per_host=2)
    first = await queue.take("local", "fast", 10, 0, slots)
    # two of the busy host (its room), then one each of the others, in turn
    assert [lease.job.check_id for lease in first] == [0, 1, 100, 101]
    for lease in first:
        slots.hold(lease.job)
    assert await queue.take("local", "fast", 10, 0, slots) == []  # the rest wait, not leased
    slots.hosts.release((0, "busy.example"))
    (again,) = await queue.take("local", "fast", 10, 0, slots)
    assert again.job.check_id == 2


async def test_unacked_lease_comes_back_after_the_visibility_timeout(make_queue: MakeQueue) -> None:
    queue = make_queue(visibility_timeout=0.05)
    await queue.put(job(7))
    (first,) = await queue.take("local", "fast", 1, 0, ROOMY)
    assert await queue.take("local", "fast", 1, 0, ROOMY) == []
    await asyncio.sleep(0.06)
    # The shared queue looks for expired leases every quarter of the timeout: a take that
    # waits a little sees it.
    (again,) = await queue.take("local", "fast", 1, 0.1, ROOMY)
    assert again.job.check_id == 7 and again.attempt == 2
    await queue.ack(again)
    await asyncio.sleep(0.06)
    assert await queue.take("local", "fast", 1, 0, ROOMY) == []


async def test_nack_returns_the_job_and_extend_keeps_it(make_queue: MakeQueue) -> None:
    # Extended by a visibility timeout (what the runner's heartbeat asks), the lease of two
    # outlives its first timeout.
    queue = make_queue(visibility_timeout=0.2)
    await queue.put(job(1))
    await queue.put(job(2))
    one, two = await queue.take("local", "fast", 2, 0, ROOMY)
    await queue.nack(one)
    await asyncio.sleep(0.12)
    await queue.extend(two, 0.2)
    await asyncio.sleep(0.12)
    leases = await queue.take("local", "fast", 5, 0, ROOMY)
    assert [(lease.job.check_id, lease.attempt) for lease in leases] == [(1, 2)]


async def test_waiting_counts_the_jobs_no_runner_has_taken_per_pool(make_queue: MakeQueue) -> None:
    queue = make_queue()
    pools = ("fast", "crawl", "browser")
    assert await queue.waiting("local", pools) == {"fast": 0, "crawl": 0, "browser": 0}
    for i in range(3):
        await queue.put(job(i))
    await queue.put(job(3, team=2))
    await queue.put(job(4, pool="crawl"))
    await queue.put(job(5, location="paris"))
    assert await queue.waiting("local", pools) == {"fast": 4, "crawl": 1, "browser": 0}
    (taken,) = await queue.take("local", "fast", 1, 0, ROOMY)
    assert await queue.waiting("local", pools) == {"fast": 3, "crawl": 1, "browser": 0}
    await queue.ack(taken)
    assert await queue.waiting("local", ("fast",)) == {"fast": 3}
    assert await queue.waiting("paris", ("fast",)) == {"fast": 1}


async def test_drain_unleased_empties_only_the_waiting_jobs() -> None:
    queue = MemoryQueue()
    for i in range(3):
        await queue.put(job(i))
    await queue.put(job(3, pool="crawl"))
    await queue.take("local", "fast", 1, 0, ROOMY)
    assert sorted(j.check_id for j in await queue.drain_unleased("local")) == [1, 2, 3]
    assert queue.depth("local") == 0


def test_a_job_knows_its_host() -> None:
    assert job(1, url="https://Example.com:8443/x").host == "example.com"
    assert job(1, url="db.example:5432").host == "db.example"
    connect = Job(
        1,
        1,
        "uptime",
        "http",
        "https://a.example/",
        {},
        "local",
        datetime.now(UTC),
        extra={"connect_ip": "192.0.2.7"},
    )
    assert connect.host == "192.0.2.7"


async def test_teams_take_turns_and_a_team_at_its_share_waits_while_others_run(make_queue: MakeQueue) -> None:
    queue = make_queue()
    for i in range(50):
        await queue.put(job(i, url=f"a{i}.example:80", team=1))  # one team, many hosts
    for i in range(100, 105):
        await queue.put(job(i, url=f"b{i}.example:80", team=2))
    room = Room(per_team=3)
    first = await queue.take("local", "fast", 20, 0, room)
    # each team's turn takes at most its share of the take, and team 1 no more than 3
    teams = [lease.job.team_id for lease in first]
    assert teams.count(1) == 3 and teams.count(2) == 3
    for lease in first:
        room.hold(lease.job)
    assert [lease.job.team_id for lease in await queue.take("local", "fast", 20, 0, room)] == []
    # a team alone may use every slot
    alone = make_queue()
    for i in range(200, 210):  # checks of their own: a shared queue holds one job a check
        await alone.put(job(i, "alone", url=f"c{i}.example:80", team=7))
    assert len(await alone.take("alone", "fast", 10, 0, Room(per_team=3))) == 10


async def test_one_teams_full_host_does_not_hold_back_another_teams_checks_of_it(
    make_queue: MakeQueue,
) -> None:
    queue = make_queue()
    for i in range(4):
        await queue.put(job(i, url="shared.example:80", team=1))
    await queue.put(job(100, url="shared.example:80", team=2))
    room = Room(per_host=2)
    taken = await queue.take("local", "fast", 10, 0, room)
    for lease in taken:
        room.hold(lease.job)
    # team 1 holds its two slots on the host; team 2's check of the same host still starts
    assert sorted(lease.job.check_id for lease in taken) == [0, 1, 100]
