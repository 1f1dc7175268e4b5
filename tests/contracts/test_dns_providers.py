"""The DnsProvider contract: every back end failover can publish to passes the same suite.

memory: a dict; records: Lookout's own record table (SQLite and PostgreSQL); rfc2136: a
real BIND 9 on loopback, updated with TSIG-signed dynamic updates and queried with
dnspython, so the answer a resolver gets is seen to change.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dns.asyncquery
import dns.message
import dns.rcode
import pytest

from lookout.app import Store, build_services, open_store
from lookout.failover.base import ChangeSet, DnsProvider, DnsProviderError, RecordSet
from lookout.failover.providers.memory import MemoryProvider
from lookout.failover.providers.records import RecordsProvider
from lookout.failover.providers.rfc2136 import Rfc2136Provider, UpdateServer
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.tables.dns import DnsDomain, DnsRecord
from tests.servers.bind import Bind, start_bind


@dataclass
class Subject:
    provider: DnsProvider
    zone: str


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    server = start_bind(tmp_path_factory.mktemp("bind"))
    yield server
    server.stop()


def _rfc2136(bind: Bind, secret: str | None = None) -> Rfc2136Provider:
    server = UpdateServer.parse(bind.server, bind.key_name, bind.algorithm, secret or bind.secret)
    return Rfc2136Provider(server, timeout=3.0)


_STORES: dict[str, Store] = {}


def _store(url: str) -> Store:
    if url not in _STORES:
        _STORES[url] = open_store(Settings(database_url=url, run_engine=False))
    return _STORES[url]


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('dnsdb') / 'lookout.db'}"


@pytest.fixture(
    params=[
        "memory",
        "records-sqlite",
        pytest.param("records-postgresql", marks=pytest.mark.postgres),
        "rfc2136",
    ]
)
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "memory":
        return Subject(MemoryProvider(), "example.test")
    if request.param == "rfc2136":
        bind: Bind = request.getfixturevalue("bind")
        return Subject(_rfc2136(bind), bind.zone)
    fixture = "sqlite_url" if request.param == "records-sqlite" else "postgres_url"
    store = _store(request.getfixturevalue(fixture))
    issued = build_services(store).tokens.create(
        f"dns-{uuid.uuid4().hex[:8]}@example.test", f"dns-{uuid.uuid4().hex}"
    )
    zone = f"z{uuid.uuid4().hex[:10]}.test"
    now = datetime.now(UTC)
    with transaction(store.sessions) as session:
        session.add(
            DnsDomain(
                team_id=issued.team_id,
                name=zone,
                display_name=zone,
                status="enable",
                ttl=600,
                remark="",
                created_at=now,
                updated_at=now,
            )
        )
    return Subject(RecordsProvider(store.sessions), zone)


def _name(subject: Subject) -> str:
    return f"n{uuid.uuid4().hex[:8]}.{subject.zone}"


async def test_applied_set_is_read_back(subject: Subject) -> None:
    name = _name(subject)
    wanted = RecordSet.of(name, "A", 120, ["192.0.2.10", "192.0.2.11"])
    await subject.provider.apply(ChangeSet(subject.zone, (wanted,)))
    assert await subject.provider.read(subject.zone, name, "A") == wanted


async def test_a_switch_replaces_the_whole_set(subject: Subject) -> None:
    name = _name(subject)
    await subject.provider.apply(
        ChangeSet(subject.zone, (RecordSet.of(name, "A", 600, ["192.0.2.1", "192.0.2.2"]),))
    )
    switched = RecordSet.of(name, "A", 60, ["192.0.2.9", "192.0.2.2"])
    await subject.provider.apply(ChangeSet(subject.zone, (switched,)))
    assert await subject.provider.read(subject.zone, name, "A") == switched
    back = RecordSet.of(name, "A", 600, ["192.0.2.1", "192.0.2.2"])
    await subject.provider.apply(ChangeSet(subject.zone, (back,)))
    assert await subject.provider.read(subject.zone, name, "A") == back


async def test_applying_twice_changes_nothing_more(subject: Subject) -> None:
    name = _name(subject)
    change = ChangeSet(subject.zone, (RecordSet.of(name, "A", 300, ["192.0.2.5"]),))
    await subject.provider.apply(change)
    await subject.provider.apply(change)
    assert await subject.provider.read(subject.zone, name, "A") == change.sets[0]


async def test_an_empty_set_removes_the_records(subject: Subject) -> None:
    name = _name(subject)
    await subject.provider.apply(ChangeSet(subject.zone, (RecordSet.of(name, "A", 300, ["192.0.2.5"]),)))
    await subject.provider.apply(ChangeSet(subject.zone, (RecordSet.of(name, "A", 300, []),)))
    assert await subject.provider.read(subject.zone, name, "A") is None


async def test_an_unknown_name_reads_as_none(subject: Subject) -> None:
    assert await subject.provider.read(subject.zone, _name(subject), "A") is None


async def test_several_sets_in_one_change(subject: Subject) -> None:
    name = _name(subject)
    v4 = RecordSet.of(name, "A", 300, ["192.0.2.7"])
    v6 = RecordSet.of(name, "AAAA", 300, ["2001:DB8::7"])
    await subject.provider.apply(ChangeSet(subject.zone, (v4, v6)))
    assert await subject.provider.read(subject.zone, name, "A") == v4
    read_v6 = await subject.provider.read(subject.zone, name, "AAAA")
    assert read_v6 == v6 and read_v6.values == ("2001:db8::7",)


async def test_name_and_text_values_round_trip(subject: Subject) -> None:
    alias, text = _name(subject), _name(subject)
    cname = RecordSet.of(alias, "CNAME", 300, [f"Target.{subject.zone}."])
    txt = RecordSet.of(text, "TXT", 300, ['v=spf1 -all "quoted"'])
    await subject.provider.apply(ChangeSet(subject.zone, (cname, txt)))
    assert await subject.provider.read(subject.zone, alias, "CNAME") == cname
    assert cname.values == (f"target.{subject.zone}",)
    assert await subject.provider.read(subject.zone, text, "TXT") == txt


async def test_the_apex_is_a_name_too(subject: Subject) -> None:
    apex = RecordSet.of(subject.zone, "TXT", 300, [f"apex-{uuid.uuid4().hex}"])
    await subject.provider.apply(ChangeSet(subject.zone, (apex,)))
    assert await subject.provider.read(subject.zone, subject.zone, "TXT") == apex


def test_a_change_set_stays_inside_its_zone() -> None:
    with pytest.raises(ValueError, match="not in zone"):
        ChangeSet("example.test", (RecordSet.of("www.example.org", "A", 60, ["192.0.2.1"]),))
    with pytest.raises(ValueError, match="once"):
        ChangeSet("example.test", (RecordSet.of("a.example.test", "A", 60, []),) * 2)


# -- rfc2136 only: what a resolver sees, and what the server refuses -----------------------


async def _ask(bind: Bind, name: str) -> list[str]:
    query = dns.message.make_query(name + ".", "A")
    response = await dns.asyncquery.udp(query, bind.host, port=bind.port, timeout=3)
    return sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)


async def test_bind_answers_change_with_the_updates(bind: Bind) -> None:
    provider = _rfc2136(bind)
    name = f"www-{uuid.uuid4().hex[:6]}.{bind.zone}"
    assert await _ask(bind, name) == []
    await provider.apply(ChangeSet(bind.zone, (RecordSet.of(name, "A", 60, ["192.0.2.1"]),)))
    assert await _ask(bind, name) == ["192.0.2.1"]
    await provider.apply(ChangeSet(bind.zone, (RecordSet.of(name, "A", 30, ["198.51.100.4"]),)))
    assert await _ask(bind, name) == ["198.51.100.4"]


async def test_a_wrong_key_is_refused_and_changes_nothing(bind: Bind) -> None:
    name = f"guarded-{uuid.uuid4().hex[:6]}.{bind.zone}"
    await _rfc2136(bind).apply(ChangeSet(bind.zone, (RecordSet.of(name, "A", 60, ["192.0.2.1"]),)))
    forged = _rfc2136(bind, secret=base64.b64encode(b"not the key at all, 32 bytes long").decode())
    with pytest.raises(DnsProviderError):
        await forged.apply(ChangeSet(bind.zone, (RecordSet.of(name, "A", 60, ["203.0.113.66"]),)))
    assert await _ask(bind, name) == ["192.0.2.1"]


async def test_a_zone_the_server_does_not_serve_is_refused(bind: Bind) -> None:
    with pytest.raises(DnsProviderError, match="NOTAUTH|REFUSED"):
        await _rfc2136(bind).apply(
            ChangeSet("elsewhere.test", (RecordSet.of("a.elsewhere.test", "A", 60, ["192.0.2.1"]),))
        )


async def test_an_unreachable_server_is_a_provider_error(tmp_path: Path) -> None:
    server = UpdateServer.parse("127.0.0.1:9", "k", "hmac-sha256", base64.b64encode(b"x" * 32).decode())
    with pytest.raises(DnsProviderError):
        await Rfc2136Provider(server, timeout=1).apply(
            ChangeSet("example.test", (RecordSet.of("a.example.test", "A", 60, ["192.0.2.1"]),))
        )


def test_update_server_settings_are_checked_and_the_secret_never_shown() -> None:
    server = UpdateServer.parse(
        "127.0.0.1:5353", "key", "HMAC-SHA256", base64.b64encode(b"s3cret-bytes").decode()
    )
    assert "s3cret" not in repr(server) and base64.b64encode(b"s3cret-bytes").decode() not in repr(server)
    for bad in (
        ("nohost", "k", "hmac-sha256", "eA=="),
        ("h:1", "k", "rot13", "eA=="),
        ("h:1", "k", "hmac-sha256", "!!"),
        ("h:99999", "k", "hmac-sha256", "eA=="),
        ("h:1", " ", "hmac-sha256", "eA=="),
    ):
        with pytest.raises(ValueError):
            UpdateServer.parse(*bad)


async def test_records_provider_keeps_the_switched_record_s_id(database_url: str) -> None:
    store = _store(database_url)
    issued = build_services(store).tokens.create(
        f"ids-{uuid.uuid4().hex[:8]}@example.test", f"ids-{uuid.uuid4().hex}"
    )
    zone, now = f"k{uuid.uuid4().hex[:10]}.test", datetime.now(UTC)
    with transaction(store.sessions) as session:
        domain = DnsDomain(
            team_id=issued.team_id,
            name=zone,
            display_name=zone,
            status="enable",
            ttl=600,
            remark="",
            created_at=now,
            updated_at=now,
        )
        session.add(domain)
        session.flush()
        rows = [
            DnsRecord(
                domain_id=domain.id,
                sub_domain="www",
                type="A",
                line="默认",
                value=ip,
                ttl=600,
                mx=0,
                enabled=True,
                remark="",
                created_at=now,
                updated_at=now,
            )
            for ip in ("192.0.2.1", "192.0.2.2")
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    provider = RecordsProvider(store.sessions)
    await provider.apply(ChangeSet(zone, (RecordSet.of(f"www.{zone}", "A", 60, ["192.0.2.9", "192.0.2.2"]),)))
    with store.sessions() as session:
        first, second = (session.get(DnsRecord, record_id) for record_id in ids)
        assert first is not None and second is not None
        assert (first.value, first.enabled, first.ttl) == ("192.0.2.9", True, 60)
        assert (second.value, second.enabled) == ("192.0.2.2", True)
    await provider.apply(ChangeSet(zone, (RecordSet.of(f"www.{zone}", "A", 60, ["192.0.2.2"]),)))
    with store.sessions() as session:
        paused = session.get(DnsRecord, ids[0])
        assert paused is not None and paused.enabled is False and paused.value == "192.0.2.9"
    with pytest.raises(DnsProviderError):
        await provider.read("unknown-zone.test", "a.unknown-zone.test", "A")
    assert dns.rcode.NOERROR == 0
