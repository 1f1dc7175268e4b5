"""The whole engine against real loopback TCP targets, on a clock running 20× fast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext, Registry
from lookout.engine.facade import Engine, EngineSettings
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.store.db import epoch_millis
from lookout.store.tables import Check, CheckRun, DowntimePeriod, Monitor, StateChange
from tests.engine.seed import add_monitor, migrated

SPEED = 20.0
UPTIME = {"check_interval_in_seconds": 10, "timeout_in_ms": 300, "failed_notification_threshold": 2}


class FastClock:
    def __init__(self, speed: float = SPEED) -> None:
        self.origin = datetime.now(UTC)
        self.mono = time.monotonic()
        self.skipped = timedelta()
        self.speed = speed

    def __call__(self) -> datetime:
        return self.origin + self.skipped + timedelta(seconds=(time.monotonic() - self.mono) * self.speed)


async def _accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


class Target:
    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0

    async def up(self) -> None:
        self.server = await asyncio.start_server(_accept, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    t = Target()
    await t.up()
    yield t
    if t.server is not None:
        t.server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    """The engine on SQLite (its sqlite3 fast path) and on PostgreSQL (its Core path)."""
    if request.param == "sqlite":
        return migrated(f"sqlite:///{tmp_path / 'engine.db'}")
    url: str = request.getfixturevalue("fresh_postgres_url")
    return migrated(url)


def engine(factory: sessionmaker[Session], clock: FastClock, checks: Registry | None = None) -> Engine:
    resolver = Resolver()
    ctx = CheckContext(resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=clock)
    settings = EngineSettings(tick_interval=0.02, flush_interval=0.02, claim_ttl=60)
    return Engine(factory, ctx, settings, checks=checks)


async def until(
    factory: sessionmaker[Session], condition: Callable[[Session], bool], seconds: float = 10
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with factory() as session:
            if condition(session):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def result_of(check_id: int) -> Callable[[Session], str | None]:
    return lambda session: session.scalar(select(Check.latest_run_result).where(Check.id == check_id))


async def test_target_goes_down_and_comes_back(factory: sessionmaker[Session], target: Target) -> None:
    ids = add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": UPTIME, "performance": {}})
    uptime = ids["uptime"]
    # A slower clock than the others: the re-check's gap is read off wall-clock start times,
    # and at 20x a loaded machine's 0.1 s of lateness was 2 s of it (seen on PostgreSQL).
    eng = engine(factory, FastClock(speed=8.0))
    await eng.start()
    try:
        await until(factory, lambda s: result_of(uptime)(s) == "succeeded")
        await target.down()
        await until(factory, lambda s: result_of(uptime)(s) == "failed")
        with factory() as session:
            failed = session.scalars(
                select(CheckRun.started_at)
                .where(CheckRun.check_id == uptime, CheckRun.result != "succeeded")
                .order_by(CheckRun.started_at)
            ).all()
            # The confirming re-check came ~5 s after the first failure, not a whole interval
            # (10 s): up to 0.4 s of wall-clock lateness is allowed for.
            assert 4 <= (failed[1] - failed[0]).total_seconds() < 8.5
            (period,) = session.scalars(select(DowntimePeriod).where(DowntimePeriod.check_id == uptime))
            # The downtime opens when the first failed run started (a run keeps milliseconds).
            assert epoch_millis(period.started_at) == epoch_millis(failed[0]) and period.ended_at is None
            monitor = session.get(Monitor, ids["monitor"])
            assert monitor is not None and monitor.summarized_check_result == "failed"
        await target.up()
        await until(factory, lambda s: result_of(uptime)(s) == "succeeded", seconds=15)
    finally:
        await eng.stop()
    with factory() as session:
        changes = session.execute(
            select(StateChange.from_status, StateChange.to_status)
            .where(StateChange.check_id == uptime)
            .order_by(StateChange.id)
        ).all()
        assert [tuple(c) for c in changes] == [("up", "down"), ("down", "up")]
        (period,) = session.scalars(select(DowntimePeriod).where(DowntimePeriod.check_id == uptime))
        assert period.ended_at is not None
        perf = session.scalar(
            select(func.count()).select_from(CheckRun).where(CheckRun.check_id == ids["performance"])
        )
        assert perf and perf >= 2
        monitor = session.get(Monitor, ids["monitor"])
        assert monitor is not None and monitor.summarized_check_result == "succeeded"


def run_counts(session: Session, check_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(CheckRun.check_id, func.count())
        .where(CheckRun.check_id.in_(check_ids))
        .group_by(CheckRun.check_id)
    )
    return {check_id: count for check_id, count in rows}


async def test_restart_loses_no_result_and_no_schedule(
    factory: sessionmaker[Session], target: Target
) -> None:
    checks = [
        add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": UPTIME})["uptime"]
        for _ in range(30)
    ]
    clock = FastClock()
    first = engine(factory, clock)
    await first.start()
    await until(factory, lambda s: len(run_counts(s, checks)) == 30)
    await asyncio.sleep(0.3)
    await first.stop()
    stopped_at = clock()
    with factory() as session:
        stored = sum(run_counts(session, checks).values())
        assert stored == first.writer.stored
        next_runs = session.scalars(select(Check.next_run_at).where(Check.id.in_(checks))).all()
        # No claim is left behind: every check is due within an interval.
        assert all(at is not None and at <= stopped_at + timedelta(seconds=10) for at in next_runs)
    # The process stays down for ten intervals; on restart each overdue check runs once.
    clock.skipped += timedelta(seconds=100)
    before = stored
    second = engine(factory, clock)
    await second.start()
    restarted = clock()
    await until(factory, lambda s: sum(run_counts(s, checks).values()) >= before + 30)
    await second.stop()
    with factory() as session:
        starts: dict[int, list[datetime]] = {}
        for check_id, started_at in session.execute(
            select(CheckRun.check_id, CheckRun.started_at)
            .where(CheckRun.check_id.in_(checks), CheckRun.started_at >= restarted)
            .order_by(CheckRun.started_at)
        ):
            starts.setdefault(check_id, []).append(started_at)
        assert len(starts) == 30
        # Ten missed intervals are not caught up: a check's next run waits at least half one.
        for runs in starts.values():
            assert all((b - a).total_seconds() >= 5 for a, b in zip(runs, runs[1:], strict=False))
        assert sum(run_counts(session, checks).values()) == before + second.writer.stored


async def test_request_run_and_unscheduled_types(factory: sessionmaker[Session], target: Target) -> None:
    far = datetime.now(UTC) + timedelta(days=1)
    ids = add_monitor(
        factory,
        f"127.0.0.1:{target.port}",
        checks={"uptime": UPTIME, "performance": {}},
        next_run_at=far,
    )
    eng = engine(factory, FastClock())
    await eng.start()
    try:
        assert await eng.request_run(ids["uptime"])
        assert not await eng.request_run(ids["performance"])  # judged from uptime's runs, never run
        assert not await eng.request_run(10**9)
        await until(factory, lambda s: result_of(ids["uptime"])(s) == "succeeded")
    finally:
        await eng.stop()


async def test_a_check_has_at_most_one_pending_requested_run(
    factory: sessionmaker[Session], target: Target
) -> None:
    far = datetime.now(UTC) + timedelta(days=1)
    hourly = {**UPTIME, "check_interval_in_seconds": 3600}  # no scheduled run in between
    ids = add_monitor(factory, f"127.0.0.1:{target.port}", checks={"uptime": hourly}, next_run_at=far)
    eng = engine(factory, FastClock())
    await eng.start()
    try:
        answers = await asyncio.gather(*(eng.request_run(ids["uptime"]) for _ in range(200)))
        assert all(answers)
        await until(factory, lambda s: result_of(ids["uptime"])(s) == "succeeded")
        await asyncio.sleep(0.3)
        # once stored, a new request runs again
        assert await eng.request_run(ids["uptime"])
        await until(factory, lambda s: run_counts(s, [ids["uptime"]]).get(ids["uptime"]) == 2)
        await asyncio.sleep(0.3)
    finally:
        await eng.stop()
    with factory() as session:
        assert run_counts(session, [ids["uptime"]]) == {ids["uptime"]: 2}
