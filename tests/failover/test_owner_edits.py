"""What the owner's DNSPod calls do to a switch failover made, seen in Record.Info and in a
real BIND's answer: Monitor.Remove and Monitor.Setstatus disabled put the record back
(IP and TTL) and close the switch; Record.Modify moves the watched IP (the D-Monitor and
its uptime check's connect_ip follow) and closes the switch; bak_ip_status shows the
backup probes' last results.

The switch itself is made by the executor against BIND (RFC 2136, TSIG) from a check
verdict set by hand: the engine is not running, so the tests take a second or two."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lookout.app import Store, build_services, create_app, open_store
from lookout.failover.consumer import build_failover_consumer
from lookout.failover.executor import CANCELLED, ExecutorTuning, FailoverExecutor
from lookout.failover.probe import Prober
from lookout.failover.providers.rfc2136 import Rfc2136Provider, UpdateServer
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.tables.dns import DMonitor
from lookout.store.tables.failover import FailoverSwitch
from lookout.store.tables.monitor import Check, Monitor
from lookout.store.tables.runs import CheckState
from tests.failover.conftest import outage
from tests.failover.sites import Site, free_port
from tests.servers.bind import Bind, start_bind

ORIGINAL, BACKUP, NEW, SILENT = "127.0.0.2", "127.0.0.3", "127.0.0.5", "127.0.0.6"


@dataclass
class Pod:
    client: TestClient
    store: Store
    bind: Bind
    token: str
    domain_id: int
    record_id: int
    monitor_id: str
    name: str
    executor: FailoverExecutor

    def call(self, action: str, expect: str = "1", **params: Any) -> dict[str, Any]:
        data = {"login_token": self.token, "format": "json", **{k: str(v) for k, v in params.items()}}
        body: dict[str, Any] = self.client.post(f"/{action}", data=data).json()
        assert body["status"]["code"] == expect, (action, body)
        return body

    def record(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("Record.Info", domain_id=self.domain_id, record_id=self.record_id)[
            "record"
        ]
        return found

    def info(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("Monitor.Info", monitor_id=self.monitor_id)["info"]
        return found

    def answer(self) -> tuple[set[str], int]:
        query = dns.message.make_query(self.name + ".", "A")
        response = dns.query.tcp(query, self.bind.host, port=self.bind.port, timeout=2)
        for rrset in response.answer:
            return {rdata.to_text() for rdata in rrset}, rrset.ttl
        return set(), 0

    def row(self) -> DMonitor:
        with self.store.sessions() as session:
            row = session.get(DMonitor, int(self.monitor_id))
            assert row is not None
            return row

    def uptime_check(self) -> Check:
        with self.store.sessions() as session:
            row = session.get(DMonitor, int(self.monitor_id))
            assert row is not None
            return session.scalars(
                select(Check).where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
            ).one()

    def verdict(self, status: str, ran_at: datetime | None = None) -> None:
        """What the engine stores when the check crosses (and, when down, what the consumer
        records): the check's state, dated by its run."""
        at = ran_at or datetime.now(UTC)
        check_id = self.uptime_check().id
        with transaction(self.store.sessions) as session:
            state = session.get(CheckState, check_id)
            if state is None:
                state = CheckState(
                    check_id=check_id, failures_in_a_row=0, successes_in_a_row=0, success_count=0
                )
                session.add(state)
            state.status, state.changed_at, state.last_run_at = status, at - timedelta(minutes=10), at
            row = session.get(DMonitor, int(self.monitor_id))
            assert row is not None
            if status == "down":
                session.add(outage(row, row.ip, at))

    def modify_record(self, value: str, **extra: Any) -> None:
        """The owner's Record.Modify of the watched record (same name, type and line)."""
        self.call(
            "Record.Modify",
            domain_id=self.domain_id,
            record_id=self.record_id,
            sub_domain="www",
            record_type="A",
            record_line="默认",
            value=value,
            **extra,
        )

    def reconcile(self) -> None:
        asyncio.run(self.executor.reconcile(int(self.monitor_id)))

    def downs(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("Monitor.Getdowns", offset=0, length=10)["monitor_downs"]
        return found


@pytest.fixture
def pod(database_url: str, tmp_path: Path) -> Iterator[Pod]:
    bind = start_bind(tmp_path, zone=f"o{uuid.uuid4().hex[:8]}.test")
    port = free_port(ORIGINAL)
    sites = [Site(BACKUP, port), Site(NEW, port)]
    for site in sites:
        site.start()
    settings = Settings(
        database_url=database_url,
        allow_private_targets=True,
        run_engine=False,
        run_outbox=False,
        run_failover=False,
        dns_update_server=bind.server,
        dns_tsig_key_name=bind.key_name,
        dns_tsig_algorithm=bind.algorithm,
        dns_tsig_secret=bind.secret,
    )
    store = open_store(settings)
    run = uuid.uuid4().hex[:8]
    token = build_services(store).tokens.create(f"oe-{run}@example.test", f"oe-{run}").dnspod_token
    guard = TargetGuard(Resolver.from_setting("127.0.0.1:1"), allow_private=True)
    executor = FailoverExecutor(
        store.sessions,
        Rfc2136Provider(
            UpdateServer.parse(bind.server, bind.key_name, bind.algorithm, bind.secret), timeout=3.0
        ),
        Prober(lambda: HttpClient(guard), timeout_s=5),
        lambda: datetime.now(UTC),
        ExecutorTuning(confirm_gap_s=0.01),
        publishes=True,
    )
    try:
        with TestClient(create_app(settings, store)) as client:
            pod = Pod(client, store, bind, token, 0, 0, "", f"www.{bind.zone}", executor)
            pod.domain_id = int(pod.call("Domain.Create", domain=bind.zone)["domain"]["id"])
            pod.record_id = int(
                pod.call(
                    "Record.Create",
                    domain_id=pod.domain_id,
                    sub_domain="www",
                    record_type="A",
                    record_line="默认",
                    value=ORIGINAL,
                    ttl=600,
                )["record"]["id"]
            )
            pod.monitor_id = pod.call(
                "Monitor.Create",
                domain_id=pod.domain_id,
                record_id=pod.record_id,
                port=port,
                monitor_type="http",
                monitor_path="/",
                monitor_interval=60,
                points="ctc",
                bak_ip=f"{BACKUP},{SILENT}",
                host=pod.name,
                keep_ttl="no",
            )["monitor"]["monitor_id"]
            yield pod
    finally:
        for site in sites:
            site.stop()
        bind.stop()


def switched(pod: Pod) -> None:
    """The original IP is down: failover serves the backup, with the TTL lowered."""
    pod.verdict("down")
    pod.reconcile()
    assert pod.answer() == ({BACKUP}, 60)
    assert (pod.record()["value"], pod.record()["ttl"]) == (BACKUP, "60")
    assert pod.info()["now_ip"] == BACKUP


def test_monitor_remove_puts_the_record_back_before_it_stops_watching(pod: Pod) -> None:
    switched(pod)
    lookout_monitor = pod.row().monitor_id
    pod.call("Monitor.Remove", monitor_id=pod.monitor_id)
    assert pod.answer() == ({ORIGINAL}, 600)
    record = pod.record()
    assert (record["value"], record["ttl"], record["enabled"], record["monitor_status"]) == (
        ORIGINAL,
        "600",
        "1",
        "",
    )
    pod.call("Monitor.Info", expect="7", monitor_id=pod.monitor_id)
    with pod.store.sessions() as session:
        assert session.get(Monitor, lookout_monitor) is None


def test_setstatus_disabled_closes_the_switch_and_cancels_a_pending_intent(pod: Pod) -> None:
    switched(pod)
    # The backup dies too; the next intent (to the other backup) is stored but not applied
    # when the owner disables the monitor.
    snap = pod.executor.snapshot(int(pod.monitor_id))
    assert snap is not None
    with transaction(pod.store.sessions) as session:
        session.add(
            FailoverSwitch(
                d_monitor_id=int(pod.monitor_id),
                edits=[{"record_id": pod.record_id, "value": SILENT, "enabled": None, "ttl": None}],
                new_state={"switched_to": SILENT, "paused": False, "original_ttl": 600},
                log=f"{BACKUP} is down; switched to {SILENT}",
                status="pending",
                attempts=0,
                created_at=datetime.now(UTC),
            )
        )
        session.flush()
    pod.call("Monitor.Setstatus", monitor_id=pod.monitor_id, status="disable")
    assert pod.answer() == ({ORIGINAL}, 600)
    info = pod.info()
    assert (info["monitor_status"], info["ip"], info["now_ip"]) == ("disabled", ORIGINAL, ORIGINAL)
    assert (pod.record()["value"], pod.record()["ttl"]) == (ORIGINAL, "600")
    assert pod.row().switch_state == {}
    with pod.store.sessions() as session:
        statuses = session.scalars(
            select(FailoverSwitch.status).where(FailoverSwitch.d_monitor_id == int(pod.monitor_id))
        ).all()
    assert list(statuses) == ["applied", CANCELLED]
    (down,) = pod.downs()
    assert down["updated_on"] != "0000-00-00 00:00:00"
    assert down["switch_log"][-1].endswith(f"D-Monitor disabled; back to {ORIGINAL}")
    assert not pod.uptime_check().enabled
    # The check is still down, but a disabled monitor is left alone.
    pod.reconcile()
    assert pod.answer() == ({ORIGINAL}, 600)
    pod.call("Monitor.Setstatus", monitor_id=pod.monitor_id, status="enabled")
    assert pod.uptime_check().enabled


def test_record_modify_moves_the_watched_ip_and_closes_the_switch(pod: Pod) -> None:
    switched(pod)
    monitored = pod.row().monitor_id
    pod.modify_record(NEW)
    # The owner's IP is served, with the record's own TTL (the lowered one was failover's).
    assert pod.answer() == ({NEW}, 600)
    assert (pod.record()["value"], pod.record()["ttl"]) == (NEW, "600")
    info = pod.info()
    assert (info["ip"], info["now_ip"]) == (NEW, NEW)
    check = pod.uptime_check()
    assert check.settings["connect_ip"] == NEW and check.next_run_at is not None
    with pod.store.sessions() as session:
        monitor = session.get(Monitor, monitored)
        assert monitor is not None and NEW in (monitor.friendly_name or "")
    (down,) = pod.downs()
    assert down["updated_on"] != "0000-00-00 00:00:00"
    assert down["switch_log"][-1].endswith(f"record set to {NEW} by its owner; switch closed")
    # The check's "down" is about the old IP: nothing switches on it.
    pod.reconcile()
    assert pod.answer() == ({NEW}, 600)
    # A run on the new IP that fails: failover acts on the new IP.
    pod.verdict("down", ran_at=datetime.now(UTC) + timedelta(seconds=1))
    pod.reconcile()
    assert pod.answer() == ({BACKUP}, 60)
    assert pod.info()["now_ip"] == BACKUP and pod.info()["ip"] == NEW


def test_record_modify_resending_what_failover_serves_keeps_the_switch(pod: Pod) -> None:
    switched(pod)
    pod.modify_record(BACKUP, ttl=300)
    info = pod.info()
    assert (info["ip"], info["now_ip"]) == (ORIGINAL, BACKUP)
    assert pod.answer() == ({BACKUP}, 300)
    # Switching back restores the TTL the owner sent.
    assert pod.row().switch_state["original_ttl"] == 300
    assert pod.uptime_check().settings["connect_ip"] == ORIGINAL


def test_bak_ip_status_is_the_backup_probes_last_result(pod: Pod) -> None:
    assert pod.info()["bak_ip_status"] == [
        {"ip": BACKUP, "status": "Unknown"},
        {"ip": SILENT, "status": "Unknown"},
    ]
    consumer = build_failover_consumer(
        pod.store.sessions,
        Settings(database_url=str(pod.store.engine.url), allow_private_targets=True, run_engine=False),
    )
    assert int(pod.monitor_id) in consumer.backups_due()
    asyncio.run(consumer.executor.refresh_backups(int(pod.monitor_id)))
    assert pod.info()["bak_ip_status"] == [
        {"ip": BACKUP, "status": "Ok"},
        {"ip": SILENT, "status": "Down"},
    ]
    # Probed just now: not due again before the monitor's interval.
    assert int(pod.monitor_id) not in consumer.backups_due()
    # The probes a switch makes are kept too.
    switched(pod)
    assert pod.row().backup_health[SILENT]["status_code"] < 0  # type: ignore[index]


def test_a_move_to_an_ip_still_found_down_switches_only_into_that_ips_outage(pod: Pod) -> None:
    switched(pod)
    pod.modify_record(NEW)
    # A run on the new IP finds it down: the check stays down (no state change), dated
    # from before the move. Until the consumer opens the new IP's outage, nothing switches,
    # so the switch's line cannot land in the old IP's outage.
    ran_at = datetime.now(UTC) + timedelta(seconds=1)
    with transaction(pod.store.sessions) as session:
        state = session.get(CheckState, pod.uptime_check().id)
        assert state is not None and state.status == "down"
        state.last_run_at = ran_at
    pod.reconcile()
    assert pod.answer() == ({NEW}, 600)
    row = pod.row()
    with transaction(pod.store.sessions) as session:
        session.add(outage(row, NEW, ran_at))
    pod.reconcile()
    assert pod.answer() == ({BACKUP}, 60)
    new_outage, old_outage = pod.downs()
    assert new_outage["ip"] == NEW and new_outage["switch_log"][-1].endswith(f"switched to {BACKUP}")
    assert old_outage["switch_log"][-1].endswith(f"record set to {NEW} by its owner; switch closed")
