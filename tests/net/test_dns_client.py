import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from lookout.net.dns import DnsClient, DnsQueryError
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from tests.servers.dns import Received, ZoneServer, serve_zone
from tests.servers.tcp import closed_port

ORIGIN = "example.test."
BIG_TXT = " ".join(['"' + "x" * 250 + '"'] * 6)  # more than the 1232 bytes of an EDNS UDP answer
ZONE = f"""
$TTL 300
@           SOA     ns1 hostmaster 2024010101 7200 3600 1209600 60
@           NS      ns2.example.net.
@           NS      ns1
@           A       192.0.2.2
@           A       192.0.2.1
@           AAAA    2001:db8::1
@           MX      20 backup.mx.example.net.
@           MX      10 mail
@           TXT     "v=spf1" "include:_spf.example.net" "-all"
@           TXT     "google-site-verification=abc"
@           CAA     0 issue "letsencrypt.org"
_sip._tcp   SRV     10 60 5060 sip
ns1         A       192.0.2.53
mail        A       192.0.2.25
www     120 CNAME   @
old         CNAME   www
away        CNAME   elsewhere.example.net.
big         TXT     {BIG_TXT}
"""

REVERSE_ORIGIN = "2.0.192.in-addr.arpa."
REVERSE_ZONE = """
$TTL 3600
@   SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 60
@   NS  ns1.example.test.
1   PTR example.test.
"""


@pytest_asyncio.fixture
async def zone() -> AsyncIterator[ZoneServer]:
    async with serve_zone(ZONE, ORIGIN) as server:
        yield server


@pytest.fixture
def client(zone: ZoneServer) -> DnsClient:
    return DnsClient([zone.address], timeout_s=2.0)


@pytest.mark.parametrize(
    ("name", "rdtype", "records"),
    [
        ("example.test", "A", ("192.0.2.1", "192.0.2.2")),
        ("example.test", "AAAA", ("2001:db8::1",)),
        ("example.test", "MX", ("10 mail.example.test.", "20 backup.mx.example.net.")),
        ("example.test", "NS", ("ns1.example.test.", "ns2.example.net.")),
        (
            "example.test",
            "SOA",
            ("ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 60",),
        ),
        ("example.test", "CAA", ('0 issue "letsencrypt.org"',)),
        ("_sip._tcp.example.test", "SRV", ("10 60 5060 sip.example.test.",)),
        ("www.example.test", "CNAME", ("example.test.",)),
    ],
)
async def test_each_record_type_comes_back_as_sorted_text(
    client: DnsClient, zone: ZoneServer, name: str, rdtype: str, records: tuple[str, ...]
) -> None:
    answer = await client.query(name, rdtype)
    assert answer.records == records
    assert (answer.name, answer.rdtype, answer.rcode) == (name + ".", rdtype, "NOERROR")
    assert answer.ttl == (120 if name.startswith("www") else 300)
    assert answer.authoritative
    assert answer.nameserver == f"127.0.0.1:{zone.port}"
    assert not answer.over_tcp
    assert zone.received == [Received("udp", name + ".", rdtype, True)]


async def test_ptr_from_a_reverse_zone() -> None:
    async with serve_zone(REVERSE_ZONE, REVERSE_ORIGIN) as reverse:
        answer = await DnsClient([reverse.address]).query("1.2.0.192.in-addr.arpa", "ptr")
    assert (answer.rdtype, answer.records, answer.ttl) == ("PTR", ("example.test.",), 3600)


async def test_txt_keeps_each_records_strings_apart(client: DnsClient) -> None:
    answer = await client.query("example.test", "TXT")
    assert answer.records == (
        '"google-site-verification=abc"',
        '"v=spf1" "include:_spf.example.net" "-all"',
    )


async def test_an_alias_is_followed_to_the_records_at_the_end_of_its_chain(client: DnsClient) -> None:
    answer = await client.query("old.example.test", "A")
    assert answer.records == ("192.0.2.1", "192.0.2.2")
    assert answer.ttl == 120  # the smallest TTL along old -> www -> @
    assert (await client.query("old.example.test", "CNAME")).records == ("www.example.test.",)


async def test_an_alias_out_of_the_zone_has_no_records_from_an_authoritative_server(
    client: DnsClient,
) -> None:
    answer = await client.query("away.example.test", "A", recursion=False)
    assert (answer.rcode, answer.records, answer.ttl) == ("NOERROR", (), None)


async def test_nxdomain_is_an_answer_not_an_error(client: DnsClient) -> None:
    answer = await client.query("nope.example.test", "A")
    assert (answer.rcode, answer.records, answer.ttl, answer.authoritative) == ("NXDOMAIN", (), None, True)


async def test_a_name_without_that_type_is_an_empty_noerror(client: DnsClient) -> None:
    answer = await client.query("mail.example.test", "MX")
    assert (answer.rcode, answer.records) == ("NOERROR", ())


async def test_a_refusing_server_answers_with_its_rcode(client: DnsClient) -> None:
    answer = await client.query("example.org", "A")
    assert (answer.rcode, answer.authoritative) == ("REFUSED", False)


async def test_authoritative_flag_and_recursion_desired_are_as_sent_and_seen(
    client: DnsClient, zone: ZoneServer
) -> None:
    zone.authoritative = False
    assert not (await client.query("example.test", "A")).authoritative
    zone.authoritative = True
    assert (await client.query("example.test", "A", recursion=False)).authoritative
    assert [seen.recursion_desired for seen in zone.received] == [True, False]


async def test_a_truncated_udp_answer_is_asked_again_over_tcp(client: DnsClient, zone: ZoneServer) -> None:
    zone.truncate_udp = True
    answer = await client.query("example.test", "MX")
    assert answer.over_tcp
    assert answer.records == ("10 mail.example.test.", "20 backup.mx.example.net.")
    assert [seen.transport for seen in zone.received] == ["udp", "tcp"]
    assert zone.tcp_connections == 1


async def test_an_answer_too_big_for_the_edns_payload_comes_over_tcp(client: DnsClient) -> None:
    answer = await client.query("big.example.test", "TXT")
    assert answer.over_tcp
    assert answer.records == (BIG_TXT,)


async def test_a_silent_server_times_out_within_the_bound(client: DnsClient, zone: ZoneServer) -> None:
    zone.silence()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(DnsQueryError) as caught:
        await client.query("example.test", "A", timeout_s=0.3)
    elapsed = loop.time() - started
    assert caught.value.kind == "timeout"
    assert caught.value.message == f"127.0.0.1:{zone.port} did not answer within 0.3 s"
    assert 0.25 <= elapsed < 1.0
    assert len(zone.received) == 1


async def test_the_timeout_bounds_udp_and_the_tcp_retry_together(zone: ZoneServer) -> None:
    zone.truncate_udp = True
    zone.silent_tcp = True
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(DnsQueryError) as caught:
        await DnsClient([zone.address], timeout_s=0.4).query("example.test", "A")
    assert caught.value.kind == "timeout"
    assert loop.time() - started < 1.0
    assert [seen.transport for seen in zone.received] == ["udp", "tcp"]


async def test_a_closed_port_is_refused_at_once() -> None:
    port = closed_port()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(DnsQueryError) as caught:
        await DnsClient([("127.0.0.1", port)], timeout_s=3.0).query("example.test", "A")
    assert caught.value.kind == "refused"
    assert caught.value.message == f"127.0.0.1:{port} refused the query (nothing listens there)"
    assert loop.time() - started < 1.0


async def test_the_next_default_nameserver_is_asked_when_one_is_silent(zone: ZoneServer) -> None:
    async with serve_zone(ZONE, ORIGIN) as silent:
        silent.silence()
        client = DnsClient([silent.address, zone.address], timeout_s=1.0)
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await client.query("example.test", "A")
        assert loop.time() - started < 1.0
    assert answer.nameserver == zone.setting
    assert len(silent.received) == 1 and len(zone.received) == 1


async def test_the_next_default_nameserver_is_asked_when_one_refuses(zone: ZoneServer) -> None:
    client = DnsClient([("127.0.0.1", closed_port()), zone.address])
    assert (await client.query("example.test", "A")).nameserver == zone.setting


async def test_when_every_default_nameserver_fails_each_failure_is_told(zone: ZoneServer) -> None:
    zone.silence()
    port = closed_port()
    client = DnsClient([("127.0.0.1", port), zone.address], timeout_s=0.4)
    with pytest.raises(DnsQueryError) as caught:
        await client.query("example.test", "A")
    assert caught.value.kind == "timeout"
    assert caught.value.message.startswith(f"127.0.0.1:{port} refused the query (nothing listens there); ")
    assert f"127.0.0.1:{zone.port} did not answer within" in caught.value.message


async def test_an_explicit_nameserver_is_asked_instead_of_the_defaults(zone: ZoneServer) -> None:
    async with serve_zone(ZONE, ORIGIN) as other:
        client = DnsClient([zone.address])
        answer = await client.query("example.test", "A", nameserver=other.address)
    assert answer.nameserver == other.setting
    assert zone.received == []


async def test_an_explicit_nameserver_the_guard_refuses_gets_no_packet(zone: ZoneServer) -> None:
    guard = TargetGuard(Resolver(), allow_private=False)
    client = DnsClient([zone.address], guard=guard)
    with pytest.raises(DnsQueryError) as caught:
        await client.query("example.test", "A", nameserver=zone.address)
    assert caught.value.kind == "blocked"
    assert caught.value.message == "nameserver refused: 127.0.0.1 is a loopback address"
    assert zone.received == [] and zone.tcp_connections == 0
    # The operator's own nameservers are not guarded.
    assert (await client.query("example.test", "A")).records == ("192.0.2.1", "192.0.2.2")


async def test_a_metadata_nameserver_is_refused_even_when_private_ones_are_allowed(zone: ZoneServer) -> None:
    client = DnsClient([zone.address], guard=TargetGuard(Resolver(), allow_private=True))
    with pytest.raises(DnsQueryError) as caught:
        await client.query("example.test", "A", nameserver=("169.254.169.254", 53))
    assert caught.value.kind == "blocked"
    assert "cloud metadata" in caught.value.message
    assert (await client.query("example.test", "A", nameserver=zone.address)).rcode == "NOERROR"


@pytest.mark.parametrize("rdtype", ["BOGUS", "", "AXFR", "ANY", "OPT"])
async def test_types_that_cannot_be_asked_are_value_errors(client: DnsClient, rdtype: str) -> None:
    with pytest.raises(ValueError):
        await client.query("example.test", rdtype)


async def test_bad_names_and_nameservers_are_value_errors(client: DnsClient, zone: ZoneServer) -> None:
    with pytest.raises(ValueError):
        await client.query("a..example.test", "A")
    with pytest.raises(ValueError):
        await client.query("example.test", "A", nameserver=("ns1.example.test", 53))
    assert zone.received == []


async def test_from_setting_uses_the_listed_nameservers(zone: ZoneServer) -> None:
    client = DnsClient.from_setting(f"127.0.0.1:{closed_port()}, {zone.setting}", timeout_s=1.0)
    assert (await client.query("example.test", "A")).nameserver == zone.setting


def test_blank_setting_means_the_system_nameservers_read_later() -> None:
    assert DnsClient.from_setting(None)._nameservers is None
    assert DnsClient.from_setting(" ")._nameservers is None


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
async def test_an_ipv6_nameserver_over_udp_and_tcp() -> None:
    async with serve_zone(ZONE, ORIGIN, host="::1") as server:
        client = DnsClient.from_setting(server.setting)
        assert (await client.query("example.test", "AAAA")).nameserver == f"[::1]:{server.port}"
        server.truncate_udp = True
        assert (await client.query("example.test", "AAAA")).over_tcp
