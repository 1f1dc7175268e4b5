"""One host with 500 slow monitors does not hold back 500 monitors of other hosts, and no
job runs twice: the runner only takes jobs whose host has room, and the slow host's jobs
wait in the queue unleased."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext
from lookout.engine.facade import Engine, EngineSettings
from lookout.engine.timing import phase
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.store.db import transaction
from lookout.store.tables import Check, CheckRun, Monitor, Team
from tests.engine.seed import migrated

pytestmark = pytest.mark.slow

INTERVAL = 5  # the shortest an uptime check allows
ROUNDS = 3
SLOW_HOST = "127.0.0.2"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
OTHER_HOSTS = [f"127.0.1.{i}" for i in range(1, 51)]  # 50 hosts, 10 monitors each


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # accept, never say a word: a welcome-message check waits its timeout
    writer.close()


async def _hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"hello\n")
    await writer.drain()
    writer.close()


@pytest.fixture
async def servers() -> AsyncIterator[tuple[int, int]]:
    slow = await asyncio.start_server(_silent, SLOW_HOST, 0)
    slow_port = slow.sockets[0].getsockname()[1]
    first = await asyncio.start_server(_hello, OTHER_HOSTS[0], 0)
    port = first.sockets[0].getsockname()[1]
    rest = await asyncio.start_server(_hello, OTHER_HOSTS[1:], port)
    yield slow_port, port
    for server in (slow, first, rest):
        server.close()


def _lateness(check_id: int, started_at: datetime) -> float:
    """Seconds since the check's last slot on its schedule grid (engine/timing.py)."""
    into_interval = (started_at - EPOCH).total_seconds() - phase(check_id, INTERVAL)
    return into_interval % INTERVAL


def _seed(factory: sessionmaker[Session], slow_port: int, port: int) -> tuple[list[int], list[int]]:
    now = datetime.now(UTC)
    base = {"check_interval_in_seconds": INTERVAL, "look_for_string_in_welcome_message": "hello"}
    plan = [(f"{SLOW_HOST}:{slow_port}", {**base, "timeout_in_ms": 2000}) for _ in range(500)]
    plan += [(f"{OTHER_HOSTS[i % 50]}:{port}", {**base, "timeout_in_ms": 1000}) for i in range(500)]
    with transaction(factory) as session:
        team = Team(name="fair", timezone="UTC", created_at=now)
        session.add(team)
        session.flush()
        common = {"team_id": team.id, "type": "tcp", "created_at": now, "updated_at": now, "options": {}}
        session.execute(
            insert(Monitor),
            [
                {**common, "url": url, "sort_url": url, "badge_id": f"f{i}", "group_name": ""}
                for i, (url, _) in enumerate(plan)
            ],
        )
        monitor_ids = session.scalars(select(Monitor.id).order_by(Monitor.id)).all()
        session.execute(
            insert(Check),
            [
                {
                    "monitor_id": mid,
                    "type": "uptime",
                    "enabled": True,
                    "settings": settings,
                    "created_at": now,
                    "updated_at": now,
                }
                for mid, (_, settings) in zip(monitor_ids, plan, strict=True)
            ],
        )
        check_ids = session.scalars(select(Check.id).order_by(Check.monitor_id)).all()
    return list(check_ids[:500]), list(check_ids[500:])


async def test_a_slow_host_delays_only_its_own_checks(tmp_path: Path, servers: tuple[int, int]) -> None:
    factory = migrated(f"sqlite:///{tmp_path / 'fair.db'}")
    slow_checks, other_checks = _seed(factory, *servers)
    resolver = Resolver()
    ctx = CheckContext(
        resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=lambda: datetime.now(UTC)
    )
    settings = EngineSettings(concurrency=200, per_host=4, flush_interval=0.1, claim_ttl=4.0)
    eng = Engine(factory, ctx, settings)
    await eng.start()
    await asyncio.sleep(ROUNDS * INTERVAL + 1)
    await eng.stop()
    with factory() as session:
        starts: dict[int, list[datetime]] = {}
        for check_id, started_at, result in session.execute(
            select(CheckRun.check_id, CheckRun.started_at, CheckRun.result).order_by(CheckRun.started_at)
        ):
            starts.setdefault(check_id, []).append(started_at)
            if check_id in other_checks:
                assert result == "succeeded"
    # The other hosts' checks ran every round, each scheduled run (after the first, which
    # comes as soon as a check is enabled) less than a second after its slot.
    for check_id in other_checks:
        runs = starts.get(check_id, [])
        assert len(runs) >= ROUNDS, (check_id, runs)
        late = [_lateness(check_id, at) for at in runs[1:]]
        assert all(seconds < 1.0 for seconds in late), (check_id, late)
    # The slow host got its share and no more: 4 at a time, each run 2 s; and with a claim
    # TTL far shorter than its backlog, no job was handed out twice.
    slow_runs = sum(len(starts.get(check_id, [])) for check_id in slow_checks)
    assert 10 <= slow_runs <= 4 * (ROUNDS * INTERVAL + 1) / 2 + 4
    for check_id in slow_checks:
        runs = starts.get(check_id, [])
        gaps = [(b - a).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]
        assert all(gap >= INTERVAL * 0.5 for gap in gaps), (check_id, gaps)
