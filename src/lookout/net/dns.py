"""DNS queries for checks: any record type, from a chosen nameserver, answer as observed.

Unlike `resolve.py`, which only wants addresses, this reports what a nameserver said:
rcode, flags, records and TTL. NXDOMAIN and SERVFAIL are answers here, not errors; only
getting no usable answer at all raises DnsQueryError.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import dns.asyncbackend
import dns.asyncquery
import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver

from lookout.net.guard import TargetGuard, refusal_reason
from lookout.net.resolve import parse_nameservers

DnsErrorKind = Literal["timeout", "refused", "network", "bad_response", "blocked"]

# What fits a UDP datagram without fragmenting on any sane path (DNS Flag Day 2020).
_EDNS_PAYLOAD = 1232


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    """The name asked about, absolute: "example.com."."""
    rdtype: str
    rcode: str
    """"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", ..."""
    records: tuple[str, ...]
    """Rdata in presentation form, sorted: "10 mail.example.com.", '"v=spf1" "-all"'.

    When the name is an alias, these are the records at the end of the CNAME chain."""
    ttl: int | None
    """The smallest TTL along the chain; None when there are no records."""
    authoritative: bool
    nameserver: str
    """"ip:port" of the nameserver that answered."""
    over_tcp: bool


class DnsQueryError(Exception):
    """No usable answer: `message` says why in a person's words."""

    def __init__(self, kind: DnsErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: DnsErrorKind = kind
        self.message = message


class DnsClient:
    """Sends one query at a time to the configured nameservers or to one named per call.

    The configured nameservers are the operator's and are not guarded; a nameserver passed
    per call (one a check found in a zone's NS records, say) must pass the guard first.
    """

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]] | None = None,
        *,
        guard: TargetGuard | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self._nameservers = [_nameserver(ip, port) for ip, port in nameservers] if nameservers else None
        self._guard = guard
        self._timeout_s = timeout_s

    @classmethod
    def from_setting(
        cls, setting: str | None, *, guard: TargetGuard | None = None, timeout_s: float = 5.0
    ) -> DnsClient:
        """None (or blank) means the system's nameservers from /etc/resolv.conf."""
        servers = parse_nameservers(setting) if setting is not None and setting.strip() else None
        return cls(servers, guard=guard, timeout_s=timeout_s)

    async def query(
        self,
        name: str,
        rdtype: str,
        *,
        nameserver: tuple[str, int] | None = None,
        timeout_s: float | None = None,
        recursion: bool = True,
    ) -> DnsAnswer:
        """Ask for `name`'s `rdtype` records; ValueError for an unknown type or a bad name.

        UDP first, TCP when the answer comes back truncated; the timeout bounds the whole
        query. Without `nameserver`, the configured ones are tried in turn while they time
        out or cannot be reached.
        """
        message = _make_query(name, rdtype, recursion)
        if nameserver is not None:
            servers = [_nameserver(*nameserver)]
            if self._guard is not None:
                reason = refusal_reason(servers[0][0], self._guard.allow_private)
                if reason is not None:
                    raise DnsQueryError("blocked", f"nameserver refused: {reason}")
        else:
            servers = self._default_nameservers()
        deadline = time.monotonic() + (self._timeout_s if timeout_s is None else timeout_s)
        failures: list[DnsQueryError] = []
        for index, (ip, port) in enumerate(servers):
            # Share what is left between the servers still to try, so one silent server
            # cannot spend the whole budget of the others.
            budget = (deadline - time.monotonic()) / (len(servers) - index)
            if budget <= 0:
                break
            try:
                return await _exchange(message, ip, port, budget)
            except DnsQueryError as exc:
                if exc.kind == "bad_response":
                    raise
                failures.append(exc)
        if not failures:
            raise DnsQueryError("timeout", "the DNS query timed out before a nameserver was asked")
        if len(failures) == 1:
            raise failures[0]
        raise DnsQueryError(failures[-1].kind, "; ".join(failure.message for failure in failures))

    def _default_nameservers(self) -> list[tuple[str, int]]:
        # Read on first use: a host without resolv.conf must not fail the composition root.
        if self._nameservers is None:
            try:
                system = dns.resolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration as exc:
                raise DnsQueryError("network", f"no nameservers are configured on this host: {exc}") from None
            servers: list[tuple[str, int]] = []
            for server in system.nameservers:
                if isinstance(server, str):
                    servers.append((server, system.nameserver_ports.get(server, system.port)))
                elif isinstance(server, dns.nameserver.Do53Nameserver):
                    servers.append((server.address, server.port))
            if not servers:
                raise DnsQueryError("network", "no nameservers are configured on this host")
            self._nameservers = servers
        return self._nameservers


def _nameserver(ip: str, port: int) -> tuple[str, int]:
    try:
        address = str(ipaddress.ip_address(ip.strip("[]")))
    except ValueError:
        raise ValueError(f"nameserver {ip!r} is not an IP address") from None
    if not 0 < port < 65_536:
        raise ValueError(f"nameserver port {port} is out of range")
    return address, port


def _make_query(name: str, rdtype: str, recursion: bool) -> dns.message.QueryMessage:
    try:
        qtype = dns.rdatatype.from_text(rdtype.strip().upper())
    except dns.rdatatype.UnknownRdatatype:
        raise ValueError(f"unknown DNS record type {rdtype!r}") from None
    # Zone transfers, ANY and EDNS's own OPT are not questions a check asks.
    if dns.rdatatype.is_metatype(qtype):
        raise ValueError(f"{rdtype!r} is not a record type that can be queried")
    try:
        qname = dns.name.from_text(name.strip())
    except dns.exception.DNSException as exc:
        raise ValueError(f"{name!r} is not a valid domain name ({exc})") from None
    message = dns.message.make_query(qname, qtype, use_edns=0, payload=_EDNS_PAYLOAD)
    if not recursion:
        message.flags &= ~dns.flags.RD
    return message


def _label(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


async def _exchange(message: dns.message.QueryMessage, ip: str, port: int, budget_s: float) -> DnsAnswer:
    label = _label(ip, port)
    try:
        async with asyncio.timeout(budget_s):
            response, over_tcp = await _udp_then_tcp(message, ip, port)
    except (TimeoutError, dns.exception.Timeout):
        raise DnsQueryError("timeout", f"{label} did not answer within {budget_s:.3g} s") from None
    except ConnectionRefusedError:
        raise DnsQueryError("refused", f"{label} refused the query (nothing listens there)") from None
    except EOFError:
        raise DnsQueryError("network", f"{label} closed the connection without answering") from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise DnsQueryError("network", f"could not reach {label}: {reason.lower()}") from None
    except dns.exception.DNSException as exc:
        raise DnsQueryError("bad_response", f"{label} sent an unreadable answer ({exc})") from None
    return _answer(message, response, label, over_tcp)


async def _udp_then_tcp(
    message: dns.message.QueryMessage, ip: str, port: int
) -> tuple[dns.message.Message, bool]:
    # A connected UDP socket hears the ICMP "port unreachable" (a fast "refused" instead of a
    # timeout) and drops datagrams from any other source; dnspython's own socket is unconnected.
    backend = dns.asyncbackend.get_backend("asyncio")
    family = dns.inet.af_for_address(ip)
    # dnspython leaves make_socket unannotated.
    udp = await backend.make_socket(family, socket.SOCK_DGRAM, 0, None, (ip, port))  # type: ignore[no-untyped-call]
    async with udp:
        try:
            response = await dns.asyncquery.udp(message, ip, port=port, sock=udp, raise_on_truncation=True)
        except dns.message.Truncated:
            pass
        else:
            return response, False
    return await dns.asyncquery.tcp(message, ip, port=port), True


def _answer(
    message: dns.message.QueryMessage, response: dns.message.Message, label: str, over_tcp: bool
) -> DnsAnswer:
    if not isinstance(response, dns.message.QueryMessage):
        raise DnsQueryError("bad_response", f"{label} answered with a message that is not a query response")
    try:
        chain = response.resolve_chaining()
    except dns.exception.DNSException as exc:
        raise DnsQueryError("bad_response", f"{label} sent an inconsistent answer ({exc})") from None
    question = message.question[0]
    records = tuple(sorted(rdata.to_text() for rdata in chain.answer)) if chain.answer is not None else ()
    return DnsAnswer(
        name=question.name.to_text(),
        rdtype=dns.rdatatype.to_text(question.rdtype),
        rcode=dns.rcode.to_text(response.rcode()),
        records=records,
        ttl=chain.minimum_ttl if chain.answer is not None else None,
        authoritative=bool(response.flags & dns.flags.AA),
        nameserver=label,
        over_tcp=over_tcp,
    )
