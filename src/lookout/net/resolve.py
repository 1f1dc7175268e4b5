"""Host names to IP addresses, over dnspython's async resolver.

Checks resolve through this seam (never the blocking system call), so the operator can
point Lookout at its own nameservers and tests can point it at a loopback one. Names in the
hosts file are answered from it first, as the system resolver would.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from lookout.errors import LookoutError
from lookout.model.monitor import split_host_port

SYSTEM_HOSTS_FILE = "/etc/hosts"
# This one name must work even when the hosts file does not list it and there is no DNS.
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


def parse_hosts(text: str) -> dict[str, list[str]]:
    """A hosts file's names (lower case, no trailing dot) to their addresses, IPv4 first."""
    names: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            address = str(ipaddress.ip_address(fields[0]))
        except ValueError:
            continue
        for name in fields[1:]:
            addresses = names.setdefault(name.rstrip(".").lower(), [])
            if address not in addresses:
                addresses.append(address)
    for addresses in names.values():
        addresses.sort(key=lambda address: ":" in address)
    return names


class HostsFile:
    """A hosts file, parsed once and again whenever it changes (or appears, or goes)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int, int, int] | None = None
        self._names: dict[str, list[str]] = {}

    def lookup(self, name: str) -> list[str]:
        """The addresses the file gives `name` (lower case, no trailing dot); [] if none."""
        try:
            stat = self.path.stat()
        except OSError:
            self._stamp, self._names = None, {}
            return []
        # ctime and inode too: an edit within the mtime's granularity, or a file moved into place.
        stamp = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        if stamp != self._stamp:
            try:
                text = self.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._names = parse_hosts(text)
            self._stamp = stamp
        return list(self._names.get(name, ()))


class Resolver:
    """Resolves A and AAAA records, from the hosts file first; IPv4 addresses come first."""

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]] | None = None,
        timeout_s: float = 5.0,
        hosts_file: str | os.PathLike[str] | None = SYSTEM_HOSTS_FILE,
    ) -> None:
        self._nameservers = list(nameservers) if nameservers else None
        self._timeout_s = timeout_s
        self._hosts = HostsFile(hosts_file) if hosts_file is not None else None
        self._resolver: dns.asyncresolver.Resolver | None = None

    @classmethod
    def from_setting(
        cls,
        setting: str | None,
        timeout_s: float = 5.0,
        hosts_file: str | os.PathLike[str] | None = SYSTEM_HOSTS_FILE,
    ) -> Resolver:
        """None (or blank) means the system's nameservers from /etc/resolv.conf."""
        if setting is None or not setting.strip():
            return cls(None, timeout_s, hosts_file)
        return cls(parse_nameservers(setting), timeout_s, hosts_file)

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
        if not name:
            raise ResolveError("could not resolve an empty host name")
        if self._hosts is not None and (listed := self._hosts.lookup(name)):
            return listed
        if name == "localhost":
            return list(_LOCALHOST)
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
