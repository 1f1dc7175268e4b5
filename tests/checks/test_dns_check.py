"""The DNS check against two real authoritative nameservers on loopback (127.0.0.2 and
127.0.0.3, one port, UDP and TCP), reached the way real ones are: the zone's NS records
name them, their A records give their addresses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dns.zone
import pytest
import pytest_asyncio
from sqlalchemy import select

from lookout.checks.base import CheckContext, Target
from lookout.checks.dns import DnsCheck, describe_changes, main_domain, record_fields
from lookout.engine.persist import Finished
from lookout.engine.queue.base import Job
from lookout.model.check_settings.others import DnsSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import Outcome
from lookout.net.dns import DnsClient
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.services.network_history import DnsHistoryItem, NetworkHistoryService
from lookout.services.tokens import Principal, TeamRole
from lookout.store.db import transaction
from lookout.store.tables import CheckRun, Monitor, StateChange
from tests.engine.seed import add_monitor, migrated, persist
from tests.servers.dns import ZoneServer, serve_zone

ORIGIN = "lookout.test."


def zone_text(
    serial: int = 2026010101, www: str = "192.0.2.10", txt: str = "v=spf1 -all", extra: str = ""
) -> str:
    return f"""
@      300 IN SOA ns1.lookout.test. hostmaster.lookout.test. {serial} 3600 600 86400 300
@      300 IN NS  ns1.lookout.test.
@      300 IN NS  ns2.lookout.test.
ns1    300 IN A   127.0.0.2
ns2    300 IN A   127.0.0.3
@      300 IN A   192.0.2.1
@      300 IN MX  10 mail.lookout.test.
@      300 IN TXT "{txt}"
@      300 IN CAA 0 issue "letsencrypt.org"
www    120 IN A   {www}
www    120 IN AAAA 2001:db8::10
alias  300 IN CNAME www.lookout.test.
_sip._tcp 300 IN SRV 10 5 5060 sip.lookout.test.
{extra}
"""


@dataclass
class Nameservers:
    ns1: ZoneServer
    ns2: ZoneServer

    def load(self, server: ZoneServer, text: str) -> None:
        server.zone = dns.zone.from_text(text, ORIGIN, relativize=False)


@pytest_asyncio.fixture
async def nameservers() -> AsyncIterator[Nameservers]:
    async with (
        serve_zone(zone_text(), ORIGIN, host="127.0.0.2") as ns1,
        # ns1's port is known once it is bound, and the second expression runs after that.
        serve_zone(zone_text(), ORIGIN, host="127.0.0.3", port=ns1.port) as ns2,
    ):
        yield Nameservers(ns1, ns2)


@pytest.fixture
def dns_ctx(nameservers: Nameservers) -> CheckContext:
    # ns1 doubles as the operator's resolver (LOOKOUT_DNS_RESOLVERS); the check must still
    # ask ns2 itself, non-recursively, on the zone's port.
    resolver = Resolver.from_setting(nameservers.ns1.setting, timeout_s=2.0, hosts_file=None)
    guard = TargetGuard(resolver, allow_private=True)
    return CheckContext(
        resolver=resolver,
        guard=guard,
        clock=lambda: datetime.now(UTC),
        location="test",
        dns=DnsClient.from_setting(nameservers.ns1.setting, guard=guard, timeout_s=2.0),
        dns_authoritative_port=nameservers.ns1.port,
    )


def target(url: str = "https://www.lookout.test/") -> Target:
    return Target(1, MonitorType.HTTP, url)


async def run(ctx: CheckContext, url: str = "https://www.lookout.test/", **settings: Any) -> Any:
    return await DnsCheck().run(target(url), DnsSettings(**settings), ctx)


async def test_the_hosts_records_come_from_both_nameservers_in_sync(
    dns_ctx: CheckContext, nameservers: Nameservers
) -> None:
    result = await run(dns_ctx)
    assert result.outcome is Outcome.SUCCEEDED, result.details["issues"]
    details = result.details
    assert details["authoritative_nameservers"] == ["ns1.lookout.test", "ns2.lookout.test"]
    records = {(r["type"], r.get("ip") or r.get("ipv6")) for r in details["dns_records"]}
    assert records == {("A", "192.0.2.10"), ("AAAA", "2001:db8::10")}
    a_record = next(r for r in details["dns_records"] if r["type"] == "A")
    assert a_record == {
        "host": "www.lookout.test",
        "ttl": 120,
        "class": "IN",
        "type": "A",
        "ip": "192.0.2.10",
    }
    assert {f.key: f.payload for f in result.findings} == {
        "www.lookout.test A": {"host": "www.lookout.test", "type": "A", "records": ["192.0.2.10"]},
        "www.lookout.test AAAA": {"host": "www.lookout.test", "type": "AAAA", "records": ["2001:db8::10"]},
    }
    assert details["raw_dns_records"]["ns2.lookout.test"] == [
        "www.lookout.test. 120 IN A 192.0.2.10",
        "www.lookout.test. 120 IN AAAA 2001:db8::10",
    ]
    # Each nameserver was asked itself, without recursion, for every type not ignored (SOA).
    asked_ns2 = {(q.name, q.rdtype) for q in nameservers.ns2.received if not q.recursion_desired}
    for rdtype in ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "CAA", "SRV"):
        assert ("www.lookout.test.", rdtype) in asked_ns2
    assert ("lookout.test.", "SOA") in asked_ns2  # the serial comparison
    assert result.summary == "2 records in 2 record sets"


async def test_different_serials_and_records_are_reported_as_out_of_sync(
    dns_ctx: CheckContext, nameservers: Nameservers
) -> None:
    nameservers.load(nameservers.ns2, zone_text(serial=2026010100, www="192.0.2.99"))
    result = await run(dns_ctx)
    assert result.outcome is Outcome.WARNING
    issues = result.details["issues"]
    assert any("SOA serials differ" in i and "2026010100" in i and "2026010101" in i for i in issues), issues
    assert any(
        i.startswith("Nameservers disagree on A www.lookout.test")
        and "ns1.lookout.test: 192.0.2.10" in i
        and "ns2.lookout.test: 192.0.2.99" in i
        for i in issues
    ), issues
    assert "out of sync" in result.summary or "disagree" in result.summary


async def test_the_sync_check_can_be_turned_off(dns_ctx: CheckContext, nameservers: Nameservers) -> None:
    nameservers.load(nameservers.ns2, zone_text(serial=2026010100, www="192.0.2.99"))
    result = await run(dns_ctx, check_nameservers_in_sync=False)
    assert result.outcome is Outcome.SUCCEEDED
    assert not any(not q.recursion_desired for q in nameservers.ns2.received)


async def test_without_the_sync_check_a_dead_nameserver_is_passed_over(
    dns_ctx: CheckContext, nameservers: Nameservers
) -> None:
    # ns0 (sorted first) points at 127.0.0.4, where nothing listens: refused at once.
    dead = "@ 300 IN NS ns0.lookout.test.\nns0 300 IN A 127.0.0.4"
    for server in (nameservers.ns1, nameservers.ns2):
        nameservers.load(server, zone_text(extra=dead))
    result = await run(dns_ctx, check_nameservers_in_sync=False)
    assert result.outcome is Outcome.WARNING
    assert {f.key for f in result.findings} == {"www.lookout.test A", "www.lookout.test AAAA"}
    assert [i for i in result.details["issues"] if "ns0" in i] == [
        "Nameserver ns0.lookout.test did not answer: "
        f"127.0.0.4:{nameservers.ns1.port} refused the query (nothing listens there)"
    ]


async def test_extra_names_main_domain_and_ignored_types(dns_ctx: CheckContext) -> None:
    result = await run(
        dns_ctx,
        extra_cnames=["alias.lookout.test", "_sip._tcp.lookout.test"],
        monitor_main_domain=True,
        ignored_record_types=["txt", "soa"],
    )
    assert result.outcome is Outcome.SUCCEEDED, result.details["issues"]
    keys = {f.key for f in result.findings}
    assert {
        "alias.lookout.test CNAME",
        "_sip._tcp.lookout.test SRV",
        "lookout.test A",
        "lookout.test MX",
        "lookout.test NS",
        "lookout.test CAA",
    } <= keys
    assert not any(key.endswith((" TXT", " SOA")) for key in keys)
    records = result.details["dns_records"]
    assert {
        "host": "lookout.test",
        "ttl": 300,
        "class": "IN",
        "type": "MX",
        "pri": 10,
        "target": "mail.lookout.test",
    } in records
    assert {
        "host": "alias.lookout.test",
        "ttl": 300,
        "class": "IN",
        "type": "CNAME",
        "target": "www.lookout.test",
    } in records
    srv = next(r for r in records if r["type"] == "SRV")
    assert (srv["pri"], srv["weight"], srv["port"], srv["target"]) == (10, 5, 5060, "sip.lookout.test")
    caa = next(r for r in records if r["type"] == "CAA")
    assert (caa["tag"], caa["value"]) == ("issue", "letsencrypt.org")


async def test_a_host_that_does_not_exist_fails(dns_ctx: CheckContext) -> None:
    result = await run(dns_ctx, url="https://nowhere.lookout.test/")
    assert result.outcome is Outcome.FAILED
    assert result.summary == "Down: nowhere.lookout.test does not exist (NXDOMAIN)"
    assert result.findings is None


@pytest.mark.looptime  # the timeouts pass on the loop's fake clock
async def test_a_silent_nameserver_is_an_issue_and_costs_one_timeout(
    dns_ctx: CheckContext, nameservers: Nameservers
) -> None:
    nameservers.ns2.silence()
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await run(dns_ctx)
    assert loop.time() - started < 4  # one 3 s timeout, not one per question
    assert result.outcome is Outcome.WARNING
    assert any(i.startswith("Nameserver ns2.lookout.test did not answer") for i in result.details["issues"])
    assert {f.key for f in result.findings} == {"www.lookout.test A", "www.lookout.test AAAA"}


@pytest.mark.looptime
async def test_every_nameserver_unreachable_fails_nothing_resolves(
    dns_ctx: CheckContext, nameservers: Nameservers
) -> None:
    nameservers.ns1.silence()
    nameservers.ns2.silence()
    result = await run(dns_ctx)
    assert result.outcome is Outcome.FAILED
    assert "could not be resolved" in result.summary


async def test_an_ip_address_monitor_has_no_dns(dns_ctx: CheckContext) -> None:
    result = await run(dns_ctx, url="https://192.0.2.1/")
    assert result.outcome is Outcome.SUCCEEDED and result.findings is None


def test_values_and_diffs_read_like_dns_get_record() -> None:
    assert record_fields("TXT", '"v=spf1" " -all"') == {"txt": "v=spf1 -all"}
    soa = record_fields("SOA", "ns1.x. host.x. 7 3600 600 86400 300")
    assert soa["serial"] == 7 and soa["mname"] == "ns1.x" and soa["minimum-ttl"] == 300
    assert main_domain("a.b.example.co.uk") == "example.co.uk"
    changes: list[dict[str, Any]] = [
        {
            "key": "www.x A",
            "before": {"host": "www.x", "type": "A", "records": ["192.0.2.1", "192.0.2.2"]},
            "after": {"host": "www.x", "type": "A", "records": ["192.0.2.2", "192.0.2.3"]},
        },
        {"key": "www.x TXT", "before": {"host": "www.x", "type": "TXT", "records": ['"old"']}, "after": None},
    ]
    assert describe_changes(changes) == '- A www.x 192.0.2.1\n+ A www.x 192.0.2.3\n- TXT www.x "old"'
    assert describe_changes([]) == "No changes"


async def test_a_record_change_is_a_warning_with_a_readable_diff(
    dns_ctx: CheckContext, nameservers: Nameservers, database_url: str
) -> None:
    """Two runs through the engine's own writer: the first is the baseline, the second sees
    www's A record and the apex TXT changed — a warning, a state change, and a history item
    whose diff says what went and what came."""
    factory = migrated(database_url)
    ids = add_monitor(factory, "https://www.lookout.test/", "http", checks={"dns": {}})
    job = Job(
        ids["dns"], ids["monitor"], "dns", "http", "https://www.lookout.test/", {}, "test", datetime.now(UTC)
    )
    settings = DnsSettings(monitor_main_domain=True)

    async def run_and_store() -> None:
        result = await DnsCheck().run(target(), settings, dns_ctx)
        with transaction(factory) as session:
            persist(session, [Finished(job, result)], datetime.now(UTC))

    await run_and_store()
    for server in (nameservers.ns1, nameservers.ns2):
        nameservers.load(server, zone_text(serial=2026010102, www="192.0.2.11", txt="v=spf1 mx -all"))
    await run_and_store()

    with factory() as session:
        runs = session.scalars(
            select(CheckRun).where(CheckRun.check_id == ids["dns"]).order_by(CheckRun.id)
        ).all()
        assert [r.result for r in runs] == ["succeeded", "warning"]
        assert runs[1].summary == "2 DNS record sets changed"
        changes = session.scalars(select(StateChange).where(StateChange.check_id == ids["dns"])).all()
        assert [c.kind for c in changes] == ["warning"]
        assert changes[0].details is not None and changes[0].details["counts"]["changed"] == 2
    team = TeamRole(_team_of(factory, ids["monitor"]), "team", "Owner")
    who = Principal(token_id=0, user_id=0, name="owner", email="owner@example.test", teams=(team,))
    history = NetworkHistoryService(factory)
    page = history.items(who, ids["monitor"], "dns", 1, 10)
    assert page.total == 2
    newest, oldest = page.items
    assert isinstance(newest, DnsHistoryItem) and isinstance(oldest, DnsHistoryItem)
    assert newest.diff_summary == (
        "- A www.lookout.test 192.0.2.10\n"
        "+ A www.lookout.test 192.0.2.11\n"
        '- TXT lookout.test "v=spf1 -all"\n'
        '+ TXT lookout.test "v=spf1 mx -all"'
    )
    assert oldest.diff_summary == "No changes"
    assert history.item(who, ids["monitor"], "dns", newest.id) == newest


def _team_of(factory: Any, monitor_id: int) -> int:
    with factory() as session:
        team_id: int = session.scalar(select(Monitor.team_id).where(Monitor.id == monitor_id))
        return team_id
