"""Host names to IP addresses, over dnspython's async resolver.

Checks resolve through this seam (never the blocking system call), so the operator can
point Lookout at its own nameservers and tests can point it at a loopback one.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from lookout.errors import LookoutError
from lookout.model.monitor import split_host_port

# dnspython does not read /etc/hosts; this one name must work on hosts without DNS.
_LOCALHOST = ["127.0.0.1", "::1"]


class ResolveError(LookoutError):
    """The host has no address we could find; the message is written for a person."""


def parse_nameservers(setting: str) -> list[tuple[str, int]]:
    """`"10.0.0.2:53, [2001:db8::1]:5353, 9.9.9.9"` into (ip, port) pairs."""
    servers: list[tuple[str, int]] = []
    for item in (part.strip() for part in setting.split(",")):
        if not item:
            continue
        pair = split_host_port(item)
        host, port = pair if pair else (item.strip("[]"), 53)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"nameserver {item!r} is not an IP address with an optional port") from None
        servers.append((host, port))
    if not servers:
        raise ValueError("no nameservers given")
    return servers


class Resolver:
    """Resolves A and AAAA records; IPv4 addresses come first in the answer."""

    def __init__(self, nameservers: Sequence[tuple[str, int]] | None = None, timeout_s: float = 5.0) -> None:
        self._nameservers = list(nameservers) if nameservers else None
        self._timeout_s = timeout_s
        self._resolver: dns.asyncresolver.Resolver | None = None

    @classmethod
    def from_setting(cls, setting: str | None, timeout_s: float = 5.0) -> Resolver:
        """None (or blank) means the system's nameservers from /etc/resolv.conf."""
        if setting is None or not setting.strip():
            return cls(None, timeout_s)
        return cls(parse_nameservers(setting), timeout_s)

    def _dns(self) -> dns.asyncresolver.Resolver:
        # Built on first use: reading /etc/resolv.conf must not fail the composition root.
        if self._resolver is None:
            try:
                resolver = dns.asyncresolver.Resolver(configure=self._nameservers is None)
            except dns.resolver.NoResolverConfiguration as exc:
                raise ResolveError(f"no nameservers are configured on this host: {exc}") from None
            if self._nameservers is not None:
                resolver.nameservers = [
                    dns.nameserver.Do53Nameserver(ip, port) for ip, port in self._nameservers
                ]
            resolver.lifetime = self._timeout_s
            self._resolver = resolver
        return self._resolver

    async def resolve(self, host: str) -> list[str]:
        name = host.strip().strip("[]").rstrip(".").lower()
        try:
            return [str(ipaddress.ip_address(name))]
        except ValueError:
            pass
        if name == "localhost":
            return list(_LOCALHOST)
        if not name:
            raise ResolveError("could not resolve an empty host name")
        answers = await asyncio.gather(self._query(name, "A"), self._query(name, "AAAA"))
        addresses = answers[0] + answers[1]
        if not addresses:
            raise ResolveError(f"could not resolve {name} (it has no A or AAAA records)")
        return addresses

    async def _query(self, name: str, rdtype: str) -> list[str]:
        try:
            answer = await self._dns().resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            raise ResolveError(f"could not resolve {name} (no such domain)") from None
        except dns.resolver.NoAnswer:
            return []
        except dns.resolver.NoNameservers:
            raise ResolveError(f"could not resolve {name} (no nameserver answered)") from None
        except dns.exception.Timeout:
            raise ResolveError(f"could not resolve {name} (the DNS lookup timed out)") from None
        except dns.exception.DNSException as exc:
            raise ResolveError(f"could not resolve {name} ({exc})") from None
        return [rdata.to_text() for rdata in answer]
