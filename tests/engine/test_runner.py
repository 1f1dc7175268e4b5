from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import ClassVar

from lookout.checks.base import CheckContext, Target
from lookout.engine.queue import Job, Lease, MemoryQueue
from lookout.engine.runner import Runner, timeout_of
from lookout.model.check_settings import (
    HttpUptimeSettings,
    PingUptimeSettings,
    SettingsModel,
    TcpUptimeSettings,
)
from lookout.model.check_type import CheckType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver


def ctx() -> CheckContext:
    resolver = Resolver()
    return CheckContext(
        resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=lambda: datetime.now(UTC)
    )


def job(check_id: int, url: str = "127.0.0.1:9", settings: dict[str, object] | None = None) -> Job:
    return Job(
        check_id, 1, "uptime", "tcp", url, settings or {"timeout_in_ms": 100}, "local", datetime.now(UTC)
    )


class Behaving:
    type: ClassVar[CheckType] = CheckType.UPTIME

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.running = 0
        self.peak = 0

    async def run(self, target: Target, settings: SettingsModel, ctx: CheckContext) -> CheckResult:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            if self.behaviour == "crash":
                raise RuntimeError("bug in a check")
            await asyncio.sleep(10 if self.behaviour == "hang" else 0.05)
            now = ctx.clock()
            return CheckResult(Outcome.SUCCEEDED, "Up", now, now)
        finally:
            self.running -= 1


def test_timeout_of_reads_each_settings_shape() -> None:
    assert timeout_of(HttpUptimeSettings(timeout=7)) == 7
    assert timeout_of(TcpUptimeSettings(timeout_in_ms=1500)) == 1.5
    assert timeout_of(PingUptimeSettings(count=3, timeout_in_seconds=2, interval_in_seconds=1)) == 5


async def test_a_crash_becomes_an_errored_result() -> None:
    runner = Runner(MemoryQueue(), ctx(), {CheckType.UPTIME: Behaving("crash")}, sink=_nowhere)
    result = await runner.run_job(job(1))
    assert result.outcome is Outcome.ERRORED
    assert "RuntimeError" in result.summary


async def test_a_hanging_check_is_cut_at_its_timeout_plus_margin() -> None:
    runner = Runner(
        MemoryQueue(), ctx(), {CheckType.UPTIME: Behaving("hang")}, sink=_nowhere, timeout_margin=0.1
    )
    started = asyncio.get_running_loop().time()
    result = await runner.run_job(job(1))
    assert result.outcome is Outcome.ERRORED and result.summary == "Timed out"
    assert asyncio.get_running_loop().time() - started < 1


async def _nowhere(lease: Lease, result: CheckResult) -> None:
    return None


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

    runner = Runner(queue, ctx(), {CheckType.UPTIME: check}, sink, concurrency=6, per_host=2)
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
