from __future__ import annotations

import asyncio
import builtins
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from lookout.checks.base import Check, CheckContext, Pool, Target
from lookout.engine.facade import EngineSettings
from lookout.engine.queue import Job, Lease, MemoryQueue
from lookout.engine.runner import Runner
from lookout.model.check_settings import SettingsModel, TcpUptimeSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver


def ctx() -> CheckContext:
    resolver = Resolver()
    return CheckContext(
        resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=lambda: datetime.now(UTC)
    )


def job(check_id: int, url: str = "127.0.0.1:9", budget: float = 0.1, pool: str = "fast") -> Job:
    return Job(
        check_id,
        1,
        "uptime",
        "tcp",
        url,
        {"timeout_in_ms": 100},
        "local",
        datetime.now(UTC),
        budget_seconds=budget,
        pool=pool,
    )


class Behaving(Check[Any]):
    type: ClassVar[CheckType] = CheckType.UPTIME

    def __init__(self, behaviour: str, seconds: float = 0.05) -> None:
        self.behaviour = behaviour
        self.seconds = seconds
        self.running = 0
        self.peak = 0
        self.runs: list[int] = []
        self.per_host: dict[str, int] = {}
        self.peak_per_host: dict[str, int] = {}

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[SettingsModel]:
        return TcpUptimeSettings

    def time_budget(self, settings: Any) -> float:
        return 0.1

    async def run(self, target: Target, settings: Any, ctx: CheckContext) -> CheckResult:
        host = target.url.split(":")[0]
        self.running += 1
        self.per_host[host] = self.per_host.get(host, 0) + 1
        self.peak = max(self.peak, self.running)
        self.peak_per_host[host] = max(self.peak_per_host.get(host, 0), self.per_host[host])
        self.runs.append(target.monitor_id)
        try:
            if self.behaviour == "crash":
                raise RuntimeError("bug in a check")
            await asyncio.sleep(10 if self.behaviour == "hang" else self.seconds)
            now = ctx.clock()
            return CheckResult(Outcome.SUCCEEDED, "Up", now, now)
        finally:
            self.running -= 1
            self.per_host[host] -= 1


async def _nowhere(lease: Lease, result: CheckResult) -> None:
    return None


async def test_a_crash_becomes_an_errored_result() -> None:
    runner = Runner(MemoryQueue(), ctx(), {CheckType.UPTIME: Behaving("crash")}, sink=_nowhere)
    result = await runner.run_job(job(1))
    assert result.outcome is Outcome.ERRORED
    assert "RuntimeError" in result.summary


async def test_a_hanging_check_is_cut_at_its_budget_plus_margin() -> None:
    runner = Runner(
        MemoryQueue(), ctx(), {CheckType.UPTIME: Behaving("hang")}, sink=_nowhere, timeout_margin=0.1
    )
    started = asyncio.get_running_loop().time()
    result = await runner.run_job(job(1, budget=0.2))
    assert result.outcome is Outcome.ERRORED and result.summary == "Timed out after 0.3 s"
    assert 0.25 < asyncio.get_running_loop().time() - started < 1


async def test_limits_hold_and_every_result_reaches_the_sink() -> None:
    queue = MemoryQueue()
    check = Behaving("ok")
    got: list[int] = []
    all_in = asyncio.Event()

    async def sink(lease: Lease, result: CheckResult) -> None:
        got.append(lease.job.check_id)
        await queue.ack(lease)
        if len(got) == 20:
            all_in.set()

    runner = Runner(queue, ctx(), {CheckType.UPTIME: check}, sink, pools={"fast": 6}, per_host=2)
    for i in range(12):
        await queue.put(job(i, url=f"10.0.0.{i % 2}:80"))
    for i in range(12, 20):
        await queue.put(job(i, url=f"10.1.0.{i}:80"))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(all_in.wait(), 5)
    await runner.stop()
    await task
    assert sorted(got) == list(range(20))
    assert check.peak <= 6
    assert max(check.peak_per_host.values()) <= 2


async def test_a_slow_host_does_not_hold_back_the_others() -> None:
    """Forty hanging jobs on one host come first in the queue; the other hosts' jobs still
    start at once, because the runner takes only jobs whose host has room."""
    queue = MemoryQueue()
    slow, fast = Behaving("ok", seconds=5), Behaving("ok", seconds=0.01)
    done: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time()

    class Split(Behaving):
        async def run(self, target: Target, settings: Any, ctx: CheckContext) -> CheckResult:
            chosen = slow if target.url.startswith("10.9.9.9") else fast
            return await chosen.run(target, settings, ctx)

    async def sink(lease: Lease, result: CheckResult) -> None:
        done[lease.job.check_id] = loop.time() - start
        await queue.ack(lease)

    for i in range(40):
        await queue.put(
            Job(i, i, "uptime", "tcp", "10.9.9.9:80", {}, "local", datetime.now(UTC), budget_seconds=10)
        )
    for i in range(40, 80):
        await queue.put(
            Job(i, i, "uptime", "tcp", f"10.0.{i}.1:80", {}, "local", datetime.now(UTC), budget_seconds=10)
        )
    runner = Runner(queue, ctx(), {CheckType.UPTIME: Split("ok")}, sink, pools={"fast": 10}, per_host=2)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(1.0)
    others = [done.get(i) for i in range(40, 80)]
    assert all(t is not None and t < 1.0 for t in others), others
    assert slow.peak <= 2
    await runner.stop()
    task.cancel()


async def test_a_job_longer_than_its_lease_runs_once_and_is_not_cut() -> None:
    """A job that runs three times its lease: the heartbeat keeps the lease, so the queue
    never hands it out again, and its budget (not the lease) bounds it."""
    queue = MemoryQueue(visibility_timeout=0.3)
    check = Behaving("ok", seconds=0.9)
    results: list[CheckResult] = []

    async def sink(lease: Lease, result: CheckResult) -> None:
        results.append(result)
        await queue.ack(lease)

    runner = Runner(
        queue, ctx(), {CheckType.UPTIME: check}, sink, pools={"crawl": 2}, lease_seconds=0.3, timeout_margin=0
    )
    await queue.put(job(1, budget=5, pool=Pool.CRAWL.value))
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(1.5)
    await runner.stop()
    await task
    assert check.runs == [1]
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED]
    assert queue.leased() == 0 and queue.depth("local") == 0


async def test_pools_do_not_share_slots() -> None:
    queue = MemoryQueue()
    check = Behaving("ok", seconds=0.3)
    got: list[int] = []

    async def sink(lease: Lease, result: CheckResult) -> None:
        got.append(lease.job.check_id)
        await queue.ack(lease)

    runner = Runner(
        queue, ctx(), {CheckType.UPTIME: check}, sink, pools={"fast": 5, "crawl": 1}, per_host=100
    )
    for i in range(5):
        await queue.put(job(100 + i, url=f"10.2.0.{i}:80", budget=2, pool="crawl"))
    for i in range(5):
        await queue.put(job(i, url=f"10.3.0.{i}:80", budget=2))
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.45)
    # every fast job is done after one round; only one crawl has finished
    assert sorted(i for i in got if i < 100) == list(range(5))
    assert len([i for i in got if i >= 100]) == 1
    await runner.stop()
    task.cancel()


@pytest.mark.looptime
async def test_a_three_minute_job_with_the_real_lease_runs_once_and_whole() -> None:
    """The defaults as `lookout serve` runs them (30 s leases), on a fast-forwarded loop
    clock: a 3-minute crawl outlives its lease six times over, is extended, and is neither
    repeated nor cut short."""
    loop = asyncio.get_running_loop()
    queue = MemoryQueue(visibility_timeout=EngineSettings().claim_ttl)
    check = Behaving("ok", seconds=180)
    results: list[CheckResult] = []

    async def sink(lease: Lease, result: CheckResult) -> None:
        results.append(result)
        await queue.ack(lease)

    runner = Runner(queue, ctx(), {CheckType.UPTIME: check}, sink, lease_seconds=EngineSettings().claim_ttl)
    await queue.put(job(1, budget=600, pool=Pool.CRAWL.value))
    started = loop.time()
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(400)
    await runner.stop()
    await task
    assert check.runs == [1]
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED]
    assert loop.time() - started >= 400


async def test_a_team_with_many_slow_monitors_delays_only_its_own_checks() -> None:
    """One team's 100 hanging checks on 100 hosts, queued first; another team's checks still
    run at once, because while both wait a team holds at most its share of the pool."""
    queue = MemoryQueue()
    loop = asyncio.get_running_loop()
    start = loop.time()
    done: dict[int, float] = {}

    class ByTeam(Behaving):
        async def run(self, target: Target, settings: Any, ctx: CheckContext) -> CheckResult:
            await asyncio.sleep(5 if target.monitor_id < 1000 else 0.01)
            now = ctx.clock()
            return CheckResult(Outcome.SUCCEEDED, "Up", now, now)

    async def sink(lease: Lease, result: CheckResult) -> None:
        done[lease.job.check_id] = loop.time() - start
        await queue.ack(lease)

    def make(i: int, team: int) -> Job:
        url = f"10.{team}.{i // 250}.{i % 250}:80"
        return Job(
            i, i, "uptime", "tcp", url, {}, "local", datetime.now(UTC), budget_seconds=10, team_id=team
        )

    for i in range(100):
        await queue.put(make(i, team=1))
    for i in range(1000, 1020):
        await queue.put(make(i, team=2))
    runner = Runner(queue, ctx(), {CheckType.UPTIME: ByTeam("ok")}, sink, pools={"fast": 20}, team_share=0.5)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(1.0)
    others = [done.get(i) for i in range(1000, 1020)]
    assert all(t is not None and t < 1.0 for t in others), others
    await runner.stop()
    task.cancel()
