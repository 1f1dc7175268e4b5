"""An engine with more checks than it can run in their intervals says so: in the log, on
/ready's engine state and as a gauge (the lag watch's rules are tests/engine/test_lag_watch.py).

One slot in the fast pool, twelve http monitors due every 10 s whose server takes 50 ms to
answer, on a clock running 60x fast (a minute a second): each check takes 3 s of that clock,
a round 36 s, so each check starts about 26 s late, every minute."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext
from lookout.engine.facade import Engine, EngineSettings
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from tests.engine.seed import add_monitor, migrated
from tests.engine.test_engine import FastClock
from tests.servers.fixtures import http_server  # noqa: F401  (fixture)
from tests.servers.http import RunningServer

SLOW_UPTIME = {"check_interval_in_seconds": 10, "timeout_in_ms": 5000}


@pytest.fixture
def factory(tmp_path: Path, http_server: RunningServer) -> sessionmaker[Session]:  # noqa: F811
    """Twelve http monitors (SQLite only: the lag is counted the same on any database)."""
    made = migrated(f"sqlite:///{tmp_path / 'engine.db'}")
    for index in range(12):
        add_monitor(made, http_server.url(f"/slow?ms=50&m={index}"), "http", checks={"uptime": SLOW_UPTIME})
    return made


def engine(factory: sessionmaker[Session], clock: FastClock, concurrency: int) -> Engine:
    resolver = Resolver()
    ctx = CheckContext(resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=clock)
    # Every monitor is on 127.0.0.1: as many slots per host as in the pool.
    settings = EngineSettings(
        concurrency=concurrency, per_host=concurrency, tick_interval=0.02, flush_interval=0.02, claim_ttl=600
    )
    return Engine(factory, ctx, settings)


async def test_an_engine_that_cannot_keep_up_says_so(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lookout.engine.writer")
    eng = engine(factory, FastClock(speed=60.0), concurrency=1)
    await eng.start()
    try:
        deadline = time.monotonic() + 30
        while not eng.health()["behind_schedule"]:
            assert time.monotonic() < deadline, f"never behind: {eng.health()}"
            await asyncio.sleep(0.1)
        state = eng.health()
    finally:
        await eng.stop()
    last = state["lag_last_minute"]
    assert isinstance(last, dict) and last["runs"] > 0
    assert last["median_at_most"] is not None and last["median_at_most"] > 10
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("checks start late: median lag over") for m in warnings), warnings


async def test_an_engine_that_keeps_up_is_not_behind(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    # The same monitors with twelve slots: every check on time. At 30x, 10 s of lag is a
    # third of a second late, which a busy test machine does not reach for three of its
    # 2-second minutes in a row; 8 s hold at least three whole minutes (could be behind).
    caplog.set_level(logging.INFO, logger="lookout.engine.writer")
    eng = engine(factory, FastClock(speed=30.0), concurrency=12)
    await eng.start()
    try:
        await asyncio.sleep(8)
        state = eng.health()
    finally:
        await eng.stop()
    assert state["behind_schedule"] is False
    last = state["lag_last_minute"]
    assert isinstance(last, dict) and last["runs"] >= 12
    assert not [r for r in caplog.records if "checks start" in r.getMessage()]
