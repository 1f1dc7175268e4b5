"""Checks run in check processes (engine/check_processes.py), against real loopback servers:
results come back whole, timeouts and crashes keep their meaning, a cancelled check stops in
the child, and a child that dies hands its checks back to the engine and is started again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import select

from lookout.checks.base import CheckContext
from lookout.checks.registry import CHECKS
from lookout.engine.check_processes import CheckProcesses, portable_types
from lookout.engine.facade import Engine, EngineSettings
from lookout.engine.queue.base import Job
from lookout.engine.runner import CheckCrashedError
from lookout.model.result import Outcome
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.store.tables import CheckRun
from tests.engine.seed import add_monitor, migrated
from tests.servers.fixtures import http_server  # noqa: F401
from tests.servers.http import RunningServer


def loopback_context() -> CheckContext:
    """What a check process builds (spawned: a module-level function, found by name)."""
    resolver = Resolver()
    return CheckContext(
        resolver=resolver,
        guard=TargetGuard(resolver, allow_private=True),
        clock=lambda: datetime.now(UTC),
        location="child",
    )


def http_job(url: str, check_id: int = 1, settings: dict[str, Any] | None = None) -> Job:
    return Job(
        check_id, 1, "uptime", "http", url, settings or {}, "local", datetime.now(UTC), budget_seconds=5.0
    )


@pytest.fixture
async def processes() -> AsyncIterator[CheckProcesses]:
    pool = CheckProcesses(1, loopback_context, portable_types(CHECKS), restart_backoff=0.5)
    await pool.start()
    try:
        yield pool
    finally:
        await pool.stop()


def test_only_checks_that_need_nothing_from_the_engine_are_portable() -> None:
    assert portable_types(CHECKS) == {"uptime"}


async def test_a_check_runs_in_the_child_and_its_result_comes_back_whole(
    processes: CheckProcesses,
    http_server: RunningServer,  # noqa: F811
) -> None:
    assert processes.pids() and processes.pids()[0] != os.getpid()
    up = await processes.run(http_job(http_server.url("/ok")), 5.0)
    assert up is not None
    assert up.outcome is Outcome.SUCCEEDED
    assert up.location == "child"  # the child's own context ran it
    assert up.details["status_code"] == 200
    assert up.timings.total_ms is not None and up.timings.total_ms > 0
    down = await processes.run(http_job(http_server.url("/status/503"), check_id=2), 5.0)
    assert down is not None and down.outcome is Outcome.FAILED
    assert down.details["status_code"] == 503


async def test_many_checks_at_once_each_get_their_own_result(
    processes: CheckProcesses,
    http_server: RunningServer,  # noqa: F811
) -> None:
    codes = [200 + (i % 3) for i in range(60)]
    results = await asyncio.gather(
        *(
            processes.run(http_job(http_server.url(f"/status/{code}"), check_id=i), 5.0)
            for i, code in enumerate(codes)
        )
    )
    assert [r.details["status_code"] if r else None for r in results] == codes


async def test_the_childs_budget_is_a_timeout_and_a_crash_is_named(
    processes: CheckProcesses,
    http_server: RunningServer,  # noqa: F811
) -> None:
    with pytest.raises(TimeoutError):
        await processes.run(http_job(http_server.url("/hang")), 0.3)
    # Settings that do not validate make the check raise there, as they would here.
    with pytest.raises(CheckCrashedError) as crashed:
        await processes.run(
            http_job(http_server.url("/ok"), settings={"check_interval_in_seconds": "x"}), 5.0
        )
    assert crashed.value.type_name == "ValidationError"


async def test_a_cancelled_check_is_cancelled_in_the_child(
    processes: CheckProcesses,
    http_server: RunningServer,  # noqa: F811
) -> None:
    [pid] = processes.pids()
    child = psutil.Process(pid)

    def connections_to_the_server() -> int:
        return sum(
            1
            for c in child.net_connections("tcp")
            if c.raddr and c.raddr.port == http_server.port and c.status == psutil.CONN_ESTABLISHED
        )

    # The check's own timeout is 30 s: only a cancel ends it sooner.
    job = http_job(http_server.url("/hang"), settings={"timeout": 30})
    hanging = asyncio.create_task(processes.run(job, 40.0))
    await eventually(lambda: connections_to_the_server() == 1)
    hanging.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await hanging
    # The child dropped the request.
    await eventually(lambda: connections_to_the_server() == 0)


async def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_a_child_that_dies_gives_its_checks_back_and_another_starts(
    processes: CheckProcesses,
    http_server: RunningServer,  # noqa: F811
) -> None:
    [first] = processes.pids()
    hanging = asyncio.create_task(processes.run(http_job(http_server.url("/hang")), 30.0))
    await asyncio.sleep(0.5)
    os.kill(first, signal.SIGKILL)
    # None: the runner runs the check itself rather than report a failure nobody saw.
    assert await asyncio.wait_for(hanging, 5.0) is None
    assert not processes.takes(http_job(http_server.url("/ok")))
    for _ in range(75):  # 15 s
        if processes.pids():
            break
        await asyncio.sleep(0.2)
    [second] = processes.pids()
    assert second != first
    result = await processes.run(http_job(http_server.url("/ok")), 5.0)
    assert result is not None and result.outcome is Outcome.SUCCEEDED


async def test_the_engine_stores_what_its_check_process_ran(
    tmp_path: Path,
    http_server: RunningServer,  # noqa: F811
) -> None:
    factory = migrated(f"sqlite:///{tmp_path / 'engine.db'}")
    ids = add_monitor(
        factory, http_server.url("/ok"), monitor_type="http", checks={"uptime": {}, "performance": {}}
    )
    resolver = Resolver()
    ctx = CheckContext(
        resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=lambda: datetime.now(UTC)
    )
    processes = CheckProcesses(1, loopback_context, portable_types(CHECKS))
    engine = Engine(
        factory, ctx, EngineSettings(tick_interval=0.05, flush_interval=0.05), check_processes=processes
    )
    await engine.start()
    try:
        deadline = time.monotonic() + 20
        runs: list[CheckRun] = []
        while len(runs) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            with factory() as session:
                runs = list(session.scalars(select(CheckRun)))
    finally:
        await engine.stop()
    by_check = {run.check_id: run for run in runs}
    uptime, performance = by_check[ids["uptime"]], by_check[ids["performance"]]
    # Run by the child (its context's location), judged and stored by the engine.
    assert uptime.location == "child" and uptime.result == "succeeded" and uptime.total_ms
    assert performance.result == "succeeded" and performance.total_ms == uptime.total_ms
    assert processes.pids() == []  # stopped with the engine
