"""A process killed mid-run (kill -9: no drain, no claims given back) costs at most one
claim TTL (30 s) after a restart, and no check runs twice for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext
from lookout.engine.facade import Engine, EngineSettings
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.store.tables import CheckRun
from tests.engine.seed import add_monitor
from tests.engine.test_engine import FastClock, factory, until  # noqa: F401  (fixture)

SETTINGS = {
    "check_interval_in_seconds": 3600,
    "timeout_in_ms": 20_000,
    "look_for_string_in_welcome_message": "hi",
}


class Banner:
    """A TCP target that says nothing until told to greet."""

    def __init__(self) -> None:
        self.greeting = asyncio.Event()
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.greeting.wait()
        writer.write(b"hi\n")
        await writer.drain()
        writer.close()


@pytest.fixture
async def banner() -> AsyncIterator[Banner]:
    target = Banner()
    server = await asyncio.start_server(target.handle, "127.0.0.1", 0)
    target.port = server.sockets[0].getsockname()[1]
    yield target
    target.greeting.set()
    server.close()


def _engine(factory: sessionmaker[Session], clock: FastClock) -> Engine:  # noqa: F811
    resolver = Resolver()
    ctx = CheckContext(resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=clock)
    # The production claim TTL; only the loops tick faster.
    return Engine(factory, ctx, EngineSettings(tick_interval=0.02, flush_interval=0.02))


def _kill(engine: Engine) -> None:
    """What kill -9 leaves: claims in the store, nothing drained, nothing given back."""
    for task in [*engine._tasks.values(), *engine.runner._tasks]:
        task.cancel()
    engine._tasks.clear()


async def test_claims_of_a_killed_process_run_again_within_the_claim_ttl_and_once(
    factory: sessionmaker[Session],  # noqa: F811
    banner: Banner,
) -> None:
    checks = [
        add_monitor(factory, f"127.0.0.1:{banner.port}", checks={"uptime": SETTINGS})["uptime"]
        for _ in range(4)  # (at most 4 at once per host)
    ]
    clock = FastClock()
    first = _engine(factory, clock)
    await first.start()
    await until(factory, lambda s: len(first.runner.running) == 4 or None, seconds=5)
    _kill(first)
    await asyncio.sleep(0.05)
    with factory() as session:
        assert session.scalar(select(CheckRun.id).where(CheckRun.check_id.in_(checks))) is None

    banner.greeting.set()
    second = _engine(factory, clock)
    restarted = clock()
    await second.start()
    try:
        await until(factory, lambda s: len(_starts(s, checks)) == 4, seconds=10)
        await asyncio.sleep(0.5)  # (20x: ten more seconds for a second run to show up)
    finally:
        await second.stop()
    with factory() as session:
        starts = _starts(session, checks)
    assert sorted(starts) == sorted(checks)  # one run each, none twice
    latest = max(at for at in starts.values())
    # At most 30 s after the restart (plus the run itself and a tick), as promised.
    assert latest - restarted <= timedelta(seconds=35)


def _starts(session: Session, checks: list[int]) -> dict[int, object]:
    rows = session.execute(
        select(CheckRun.check_id, CheckRun.started_at).where(CheckRun.check_id.in_(checks))
    )
    starts: dict[int, object] = {}
    for check_id, started_at in rows:
        assert check_id not in starts, f"check {check_id} ran twice"
        starts[check_id] = started_at
    return starts
