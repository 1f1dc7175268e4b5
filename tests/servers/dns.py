"""Loopback nameservers for tests.

`serve_dns` answers A/AAAA over UDP from a dict (other names are NXDOMAIN), for resolving
test hosts; `serve_zone` is an authoritative server for a whole zone over UDP and TCP, for
testing the DNS client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone


class _Answerer(asyncio.DatagramProtocol):
    def __init__(self, records: Mapping[str, list[str]]) -> None:
        self.records = {name.rstrip(".").lower(): ips for name, ips in records.items()}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        if name not in self.records:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        else:
            family = ":" if question.rdtype == dns.rdatatype.AAAA else "."
            ips = [ip for ip in self.records[name] if family in ip]
            if ips:
                rdtype = dns.rdatatype.to_text(question.rdtype)
                reply.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", rdtype, ips))
        assert self.transport is not None
        self.transport.sendto(reply.to_wire(), addr)


@asynccontextmanager
async def serve_dns(records: Mapping[str, list[str]]) -> AsyncIterator[str]:
    """Yield the `ip:port` setting string for `Resolver.from_setting`."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Answerer(records), local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        transport.close()


@dataclass(frozen=True, slots=True)
class Received:
    transport: str  # "udp" or "tcp"
    name: str
    rdtype: str
    recursion_desired: bool


@dataclass(slots=True)
class ZoneServer:
    """An authoritative nameserver for one zone, on UDP and TCP of the same loopback port.

    Flip the switches between queries: `truncate_udp` answers every UDP query with an empty
    TC reply (so clients must retry over TCP); `silent_udp`/`silent_tcp` read queries and
    never answer. Every query that arrives is appended to `received`.
    """

    zone: dns.zone.Zone
    host: str = "127.0.0.1"
    port: int = 0
    authoritative: bool = True
    truncate_udp: bool = False
    silent_udp: bool = False
    silent_tcp: bool = False
    received: list[Received] = field(default_factory=list)
    tcp_connections: int = 0

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def setting(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def silence(self) -> None:
        self.silent_udp = self.silent_tcp = True

    def reply(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query's wire form, or None to stay silent."""
        query = dns.message.from_wire(wire)
        question = query.question[0]
        self.received.append(
            Received(
                transport,
                question.name.to_text(),
                dns.rdatatype.to_text(question.rdtype),
                bool(query.flags & dns.flags.RD),
            )
        )
        if self.silent_udp if transport == "udp" else self.silent_tcp:
            return None
        reply = self._answer(query)
        if transport == "tcp":
            return reply.to_wire(max_size=65_535)  # not the UDP payload the query offered
        size = query.payload if query.edns >= 0 else 512
        if not self.truncate_udp:
            with contextlib.suppress(dns.exception.TooBig):
                return reply.to_wire(max_size=size)
        reply.flags |= dns.flags.TC
        reply.answer.clear()
        reply.authority.clear()
        reply.additional.clear()
        return reply.to_wire()

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        question = query.question[0]
        origin = self.zone.origin
        assert origin is not None
        if not question.name.is_subdomain(origin):
            reply.set_rcode(dns.rcode.REFUSED)
            return reply
        if self.authoritative:
            reply.flags |= dns.flags.AA
        name = question.name
        for _ in range(8):  # a CNAME loop in the zone must not hang the server
            if not name.is_subdomain(origin):
                return reply
            node = self.zone.get_node(name)
            if node is None:
                reply.set_rcode(dns.rcode.NXDOMAIN)
                break
            rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if rdataset is None and cname is not None and question.rdtype != dns.rdatatype.CNAME:
                reply.answer.append(_rrset(name, cname))
                name = cname[0].target
                continue
            if rdataset is not None:
                reply.answer.append(_rrset(name, rdataset))
                return reply
            break
        soa = self.zone.get_rdataset(origin, dns.rdatatype.SOA)
        if soa is not None:
            reply.authority.append(_rrset(origin, soa))
        return reply


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


class _ZoneUdp(asyncio.DatagramProtocol):
    def __init__(self, server: ZoneServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.server.reply(data, "udp")
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


@asynccontextmanager
async def serve_zone(
    zone_text: str, origin: str, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[ZoneServer]:
    """Serve the zone (zone-file text, names relative to `origin`) until the block ends.

    `port` 0 takes any port free for both UDP and TCP; a given port is taken or fails (two
    nameservers of one zone on 127.0.0.2 and 127.0.0.3 share a port, as real ones share 53).
    """
    server = ZoneServer(dns.zone.from_text(zone_text, origin, relativize=False), host)
    writers: set[asyncio.StreamWriter] = set()

    async def on_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.tcp_connections += 1
        writers.add(writer)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(2), "big")
                reply = server.reply(await reader.readexactly(size), "tcp")
                if reply is not None:
                    writer.write(len(reply).to_bytes(2, "big") + reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writers.discard(writer)
            writer.close()

    loop = asyncio.get_running_loop()
    # UDP takes any free port; TCP must then get the same one, which another process may hold.
    for _ in range(50 if port == 0 else 1):
        udp, _ = await loop.create_datagram_endpoint(lambda: _ZoneUdp(server), local_addr=(host, port))
        server.port = udp.get_extra_info("sockname")[1]
        try:
            tcp = await asyncio.start_server(on_tcp, host, server.port)
        except OSError:
            udp.close()
            continue
        break
    else:
        raise RuntimeError(f"no port was free for both UDP and TCP on {host}")
    try:
        yield server
    finally:
        udp.close()
        tcp.close()
        for writer in list(writers):
            writer.close()
        await tcp.wait_closed()
