"""The engine split in parts over the shared queue: one scheduling engine (serve with
LOOKOUT_RUN_CHECKS=false) and two that only run checks (workers), on SQLite and on
PostgreSQL, against real loopback TCP targets on a clock running 20× fast."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.api.ops import build_ops_router
from lookout.checks.base import CheckContext
from lookout.engine.facade import Engine, EngineSettings
from lookout.engine.queue.depth import QueueDepth
from lookout.engine.queue.redis_streams import RedisStreamsQueue
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.services.health import HealthService
from lookout.store.tables import CheckRun, StateChange
from tests.engine.seed import add_monitor
from tests.engine.test_engine import UPTIME, FastClock, Target, result_of, run_counts, until
from tests.engine.test_engine import factory as factory  # the fixtures
from tests.engine.test_engine import target as target
from tests.engine.test_queue import Queues
from tests.engine.test_queue import queues as queues
from tests.servers.fixtures import http_server  # noqa: F401
from tests.servers.http import RunningServer


def part(
    factory: sessionmaker[Session],
    clock: FastClock,
    queues: Queues,
    *,
    schedule: bool,
    location: str = "local",
    others: frozenset[str] = frozenset(),
    reaches_loopback: bool = True,
    dmonitor_points: str | None = None,
) -> Engine:
    resolver = Resolver()
    # A worker whose guard refuses loopback sees every target here fail (before any socket):
    # a network problem near one location.
    guard = TargetGuard(resolver, allow_private=reaches_loopback)
    ctx = CheckContext(resolver=resolver, guard=guard, clock=clock, location=location)
    settings = EngineSettings(
        tick_interval=0.02,
        flush_interval=0.02,
        claim_ttl=60,
        other_locations=others,
        dmonitor_points=dmonitor_points,
    )
    return Engine(factory, ctx, settings, queue=queues(), schedule=schedule, run_checks=not schedule)


async def test_workers_run_what_the_scheduler_puts_each_check_once_an_interval(
    factory: sessionmaker[Session], target: Target, queues: Queues
) -> None:
    checks = [
        add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": UPTIME})["uptime"]
        for _ in range(30)
    ]
    clock = FastClock()
    serve = part(factory, clock, queues, schedule=True)
    workers = [part(factory, clock, queues, schedule=False) for _ in range(2)]
    for engine in (serve, *workers):
        await engine.start()
    try:
        # 10 s intervals at 20×: three rounds in about 1.5 s.
        await until(factory, lambda s: min(run_counts(s, checks).values(), default=0) >= 3)
        assert await serve.request_run(checks[0])
        await until(factory, lambda s: run_counts(s, checks)[checks[0]] >= 4)
    finally:
        await serve.stop()
        await asyncio.gather(*(worker.stop() for worker in workers))
    assert serve.writer.stored == 0  # it runs nothing
    with factory() as session:
        assert sum(run_counts(session, checks).values()) == sum(w.writer.stored for w in workers)
        starts: dict[int, list[datetime]] = {}
        for check_id, started_at in session.execute(
            select(CheckRun.check_id, CheckRun.started_at)
            .where(CheckRun.check_id.in_(checks[1:]))
            .order_by(CheckRun.started_at)
        ):
            starts.setdefault(check_id, []).append(started_at)
        # Never queued twice: a check's scheduled runs are an interval apart (10 s, ± jitter).
        for runs in starts.values():
            assert all((b - a).total_seconds() >= 5 for a, b in zip(runs, runs[1:], strict=False))


async def test_a_check_runs_at_the_location_its_settings_name_when_workers_serve_it(
    factory: sessionmaker[Session], target: Target, queues: Queues
) -> None:
    address = f"127.0.0.1:{target.port}"
    in_paris = [add_monitor(factory, address, checks={"uptime": UPTIME})["uptime"] for _ in range(4)]
    # Oh Dear's default location is "paris"; a location no worker serves runs at home.
    elsewhere = [
        add_monitor(factory, address, checks={"uptime": {**UPTIME, "location": "frankfurt"}})["uptime"]
        for _ in range(4)
    ]
    clock = FastClock()
    serve = part(factory, clock, queues, schedule=True, others=frozenset({"paris"}))
    home = part(factory, clock, queues, schedule=False)
    paris = part(factory, clock, queues, schedule=False, location="paris")
    await start_workers_then(serve, home, paris)
    try:
        await until(factory, lambda s: min(run_counts(s, in_paris + elsewhere).values(), default=0) >= 2)
        assert await serve.request_run(in_paris[0])
        await until(factory, lambda s: run_counts(s, in_paris)[in_paris[0]] >= 3)
    finally:
        for engine in (serve, home, paris):
            await engine.stop()
    with factory() as session:
        where: dict[int, set[str]] = {}
        for check_id, location in session.execute(
            select(CheckRun.check_id, CheckRun.location).where(CheckRun.check_id.in_(in_paris + elsewhere))
        ):
            where.setdefault(check_id, set()).add(location)
        counts = run_counts(session, in_paris + elsewhere)
    assert {check: where[check] for check in in_paris} == dict.fromkeys(in_paris, {"paris"})
    assert {check: where[check] for check in elsewhere} == dict.fromkeys(elsewhere, {"local"})
    assert paris.writer.stored == sum(counts[check] for check in in_paris)
    assert home.writer.stored == sum(counts[check] for check in elsewhere)


async def test_a_failure_is_confirmed_from_a_second_location_before_the_check_goes_down(
    factory: sessionmaker[Session], target: Target, queues: Queues
) -> None:
    address = f"127.0.0.1:{target.port}"
    check = add_monitor(factory, address, checks={"uptime": UPTIME})["uptime"]  # at "paris"
    clock = FastClock()
    serve = part(factory, clock, queues, schedule=True, others=frozenset({"paris"}))
    home = part(factory, clock, queues, schedule=False)
    paris = part(factory, clock, queues, schedule=False, location="paris", reaches_loopback=False)
    await start_workers_then(serve, home, paris)
    try:
        # Paris cannot reach the target; each failure there is re-checked at home, which can.
        await until(factory, lambda s: run_counts(s, [check]).get(check, 0) >= 8)
        await target.down()  # now nobody can: the re-check at home confirms it
        await until(factory, lambda s: result_of(check)(s) == "failed")
    finally:
        for engine in (serve, home, paris):
            await engine.stop()
    with factory() as session:
        runs = session.execute(
            select(CheckRun.location, CheckRun.result).where(CheckRun.check_id == check).order_by(CheckRun.id)
        ).all()
        changes = session.execute(
            select(StateChange.to_status).where(StateChange.check_id == check).order_by(StateChange.id)
        ).all()
    # Every failure in Paris was followed by a run at home, until the site went down.
    assert ("local", "failed") in [tuple(run) for run in runs], "no failure was confirmed at home"
    first_down = next(i for i, run in enumerate(runs) if tuple(run) == ("local", "failed"))
    before = [tuple(run) for run in runs[:first_down]]
    assert set(before) == {("paris", "failed"), ("local", "succeeded")}
    pairs = zip(before, before[1:], strict=False)
    assert all(after == ("local", "succeeded") for run, after in pairs if run[0] == "paris")
    # It went down only after home, too, saw it fail.
    assert [tuple(change) for change in changes] == [("down",)]
    assert runs[first_down - 1][0] == "paris"


async def test_a_d_monitors_failure_is_confirmed_where_one_of_its_points_is_checked(
    factory: sessionmaker[Session],
    http_server: RunningServer,  # noqa: F811
    queues: Queues,
) -> None:
    """Points ctc (here) and cmc (tokyo): the failures seen here are re-checked in tokyo, never
    in amsterdam, the first other location by name, which gives no point a verdict."""
    settings = {**UPTIME, "location": "local", "dmonitor_points": "ctc,cmc"}
    url = http_server.url("/ok")
    check = add_monitor(factory, url, monitor_type="http", checks={"uptime": settings})["uptime"]
    clock = FastClock()
    others = frozenset({"amsterdam", "tokyo"})
    serve = part(factory, clock, queues, schedule=True, others=others, dmonitor_points="cmc=tokyo")
    home = part(factory, clock, queues, schedule=False, reaches_loopback=False)
    amsterdam = part(factory, clock, queues, schedule=False, location="amsterdam")
    tokyo = part(factory, clock, queues, schedule=False, location="tokyo")
    await start_workers_then(serve, home, amsterdam, tokyo)
    try:
        await until(factory, lambda s: run_counts(s, [check]).get(check, 0) >= 6)
    finally:
        for engine in (serve, home, amsterdam, tokyo):
            await engine.stop()
    with factory() as session:
        runs = session.execute(
            select(CheckRun.location, CheckRun.result).where(CheckRun.check_id == check).order_by(CheckRun.id)
        ).all()
    assert {tuple(run) for run in runs} == {("local", "failed"), ("tokyo", "succeeded")}, runs


async def test_a_location_without_workers_has_its_checks_run_at_home_until_one_comes(
    factory: sessionmaker[Session],
    target: Target,
    queues: Queues,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("lookout.engine.scheduler.ROUTES_READ_EVERY", 0.05)  # 5 s in the product
    checks = [
        add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": UPTIME})["uptime"]
        for _ in range(3)
    ]
    clock = FastClock()
    serve = part(factory, clock, queues, schedule=True, others=frozenset({"paris"}))
    home = part(factory, clock, queues, schedule=False)
    paris = part(factory, clock, queues, schedule=False, location="paris")
    caplog.set_level(logging.INFO, logger="lookout.engine.scheduler")
    await start_workers_then(serve, home)
    try:
        await until(factory, lambda s: min(run_counts(s, checks).values(), default=0) >= 2)
        assert "no worker takes checks at paris: they run at local until one does" in caplog.text
        assert locations_of(factory, checks) == {"local"}
        await paris.start()
        await until(factory, lambda s: "paris" in locations_of(factory, checks))
        assert "workers take checks at paris again" in caplog.text
    finally:
        for engine in (serve, home, paris):
            await engine.stop()


def locations_of(factory: sessionmaker[Session], checks: list[int]) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(CheckRun.location).where(CheckRun.check_id.in_(checks))))


async def start_workers_then(serve: Engine, *workers: Engine) -> None:
    """Workers first, and serve once every worker's location has shown it takes jobs (serve
    sends nothing to a location without a live worker)."""
    for worker in workers:
        await worker.start()
    wanted = {worker.ctx.location for worker in workers}
    deadline = asyncio.get_running_loop().time() + 10
    while await serve.queue.live(sorted(wanted)) != wanted:
        assert asyncio.get_running_loop().time() < deadline, f"workers at {wanted} never showed"
        await asyncio.sleep(0.02)
    await serve.start()


def test_other_locations_need_the_shared_queue(factory: sessionmaker[Session]) -> None:
    resolver = Resolver()
    ctx = CheckContext(resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=FastClock())
    with pytest.raises(ValueError, match="shared queue"):
        Engine(factory, ctx, EngineSettings(other_locations=frozenset({"paris"})))


async def test_without_redis_the_parts_keep_trying_quietly_and_stop_cleanly(
    factory: sessionmaker[Session], target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": UPTIME})
    resolver = Resolver()
    ctx = CheckContext(resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=FastClock())
    settings = EngineSettings(tick_interval=0.02, flush_interval=0.02)
    away = "redis://127.0.0.1:1/0"  # nothing listens there
    serve = Engine(factory, ctx, settings, queue=RedisStreamsQueue(away), run_checks=False)
    worker = Engine(factory, ctx, settings, queue=RedisStreamsQueue(away), schedule=False)
    with caplog.at_level(logging.ERROR):
        await serve.start()
        await worker.start()
        await asyncio.sleep(1.5)  # 75 ticks and 4-5 takes per pool, were nothing backing off
        await serve.stop()
        await worker.stop()
    ticks = [r for r in caplog.records if r.getMessage().startswith("scheduler tick failed")]
    takes = [r for r in caplog.records if r.getMessage().startswith("taking jobs for pool")]
    assert len(ticks) == 1 and ticks[0].exc_info is not None
    assert len(takes) == len(settings.pools())  # the first failure of each pool's loop


async def test_metrics_report_what_waits_in_the_shared_queue_until_a_worker_takes_it(
    factory: sessionmaker[Session], target: Target, queues: Queues
) -> None:
    for _ in range(12):
        add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": UPTIME})
    clock = FastClock()
    serve = part(factory, clock, queues, schedule=True)
    assert serve.shared_depth is not None
    # Read every 50 ms here (10 s in the product).
    serve.shared_depth = QueueDepth(serve.queue, ("local",), ("fast", "crawl"), interval=0.05)
    app = FastAPI()
    app.include_router(build_ops_router(HealthService(factory.kw["bind"]), None))
    app.state.engine = serve

    async def scraped() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ops") as client:
            return (await client.get("/metrics")).text

    await serve.start()
    worker = part(factory, clock, queues, schedule=False)
    try:
        # Nothing runs them: the scheduler's twelve jobs wait in Redis.
        await until_true(lambda: serve.queued().get(("local", "fast")) == 12)
        assert 'lookout_queue_depth{location="local",pool="fast"} 12.0' in await scraped()
        assert serve.queued()[("local", "crawl")] == 0
        await worker.start()
        await until_true(lambda: serve.queued().get(("local", "fast")) == 0)
        assert 'lookout_queue_depth{location="local",pool="fast"} 0.0' in await scraped()
    finally:
        await serve.stop()
        await worker.stop()


async def until_true(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
