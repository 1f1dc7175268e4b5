"""A loopback UDP nameserver answering A/AAAA from a dict; other names are NXDOMAIN."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import cast

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


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
