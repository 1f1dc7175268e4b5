"""A D-Monitor on a real store (SQLite and PostgreSQL), made through the DNS services, with
its web servers on loopback IPs; the check engine's verdict is set by hand."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lookout.app import Store, build_services, open_store
from lookout.failover.base import ChangeSet, DnsProviderError
from lookout.failover.executor import ExecutorTuning, FailoverExecutor
from lookout.failover.probe import Prober
from lookout.failover.providers.memory import MemoryProvider
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.services.dns.container import build_dns_services
from lookout.services.dns.d_monitor_input import MonitorInput
from lookout.services.dns.records import RecordInput
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.tables.dns import DMonitor, DMonitorDown, DnsRecord
from lookout.store.tables.failover import FailoverSwitch
from lookout.store.tables.monitor import Check
from lookout.store.tables.runs import CheckState
from tests.failover.sites import Site, free_port

ORIGINAL, BACKUP, BACKUP2 = "127.0.0.2", "127.0.0.3", "127.0.0.4"


def now() -> datetime:
    return datetime.now(UTC)


def outage(row: DMonitor, ip: str, at: datetime) -> DMonitorDown:
    """An open outage of the D-Monitor's IP, as the consumer records one."""
    return DMonitorDown(
        team_id=row.team_id,
        d_monitor_id=row.id,
        host=row.host,
        record_line="默认",
        ip=ip,
        warn_reason="Connection refused",
        switch_log=[],
        created_at=at,
    )


@dataclass
class World:
    store: Store
    d_monitor_id: int
    record_id: int
    zone: str
    original: Site
    backup: Site

    def set_check(self, status: str) -> None:
        with transaction(self.store.sessions) as session:
            row = session.get(DMonitor, self.d_monitor_id)
            assert row is not None
            check_id = session.scalars(
                select(Check.id).where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
            ).one()
            state = session.get(CheckState, check_id)
            if state is None:
                state = CheckState(
                    check_id=check_id, failures_in_a_row=0, successes_in_a_row=0, success_count=0
                )
                session.add(state)
            state.status, state.changed_at = status, now()
            if status == "down":
                row.status = "Down"
                session.add(outage(row, row.ip, now()))

    def record(self) -> DnsRecord:
        with self.store.sessions() as session:
            row = session.get(DnsRecord, self.record_id)
            assert row is not None
            return row

    def d_monitor(self) -> DMonitor:
        with self.store.sessions() as session:
            row = session.get(DMonitor, self.d_monitor_id)
            assert row is not None
            return row

    def switches(self) -> list[FailoverSwitch]:
        with self.store.sessions() as session:
            return list(
                session.scalars(
                    select(FailoverSwitch)
                    .where(FailoverSwitch.d_monitor_id == self.d_monitor_id)
                    .order_by(FailoverSwitch.id)
                )
            )

    def switch_log(self) -> list[str]:
        with self.store.sessions() as session:
            down = session.scalars(
                select(DMonitorDown).where(DMonitorDown.d_monitor_id == self.d_monitor_id)
            ).first()
            return list(down.switch_log) if down else []

    def executor(self, provider: object, **tuning: object) -> FailoverExecutor:
        guard = TargetGuard(Resolver.from_setting("127.0.0.1:1"), allow_private=True)
        knobs = {"confirm_probes": 3, "confirm_gap_s": 0.01, **tuning}
        return FailoverExecutor(
            self.store.sessions,
            provider,  # type: ignore[arg-type]
            Prober(lambda: HttpClient(guard), timeout_s=5),
            now,
            ExecutorTuning(**knobs),  # type: ignore[arg-type]
        )


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async for made in make_world(database_url):
        yield made


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of the test's own (for what reads every state change: the cursor)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lookout.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
async def fresh_world(fresh_url: str) -> AsyncIterator[World]:
    async for made in make_world(fresh_url):
        yield made


async def make_world(database_url: str) -> AsyncIterator[World]:
    store = open_store(Settings(database_url=database_url, run_engine=False))
    run = uuid.uuid4().hex[:8]
    services = build_services(store)
    issued = services.tokens.create(f"ex-{run}@example.test", f"ex-{run}")
    who = services.tokens.authenticate_pair(f"{issued.id},{issued.token}")
    dns = build_dns_services(store.sessions, None, allow_private_targets=True)
    zone = f"x{run}.test"
    domain = await dns.domains.create(who, zone)
    record = await dns.records.create(
        who, domain.id, RecordInput(sub_domain="www", record_type="A", value=ORIGINAL, ttl="600")
    )
    port = free_port(ORIGINAL)
    monitor_id, _ = await dns.d_monitors.create(
        who,
        domain.id,
        record.id,
        MonitorInput(
            host=f"www.{zone}",
            port=str(port),
            monitor_type="http",
            monitor_path="/",
            monitor_interval="60",
            points="ctc",
            bak_ip=f"{BACKUP},{BACKUP2}",
            keep_ttl="no",
        ),
    )
    original, backup = Site(ORIGINAL, port), Site(BACKUP, port)
    backup.start()
    yield World(store, int(monitor_id), record.id, zone, original, backup)
    original.stop()
    backup.stop()


class FailingProvider(MemoryProvider):
    async def apply(self, change: ChangeSet) -> None:
        raise DnsProviderError("127.0.0.1:1: connection refused")


class ForgetfulProvider(MemoryProvider):
    """Says yes and publishes nothing: the read-back must catch it."""

    async def apply(self, change: ChangeSet) -> None:
        self.applied.append(change)
