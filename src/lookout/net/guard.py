"""The target guard: resolve a host, then keep only the addresses we may dial.

Cloud metadata endpoints are refused always, because a check that reaches them would leak
the instance's credentials into a result a user can read. Private, loopback and similar
ranges are refused unless the operator allows them (a LAN monitor, or tests).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from lookout.errors import LookoutError
from lookout.net.resolve import Resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(ip) for ip in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Checked in order; the first that matches names the refusal.
_PRIVATE_KINDS: list[tuple[str, Callable[[IPAddress], bool]]] = [
    ("loopback", lambda ip: ip.is_loopback),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("multicast", lambda ip: ip.is_multicast),
    ("link-local", lambda ip: ip.is_link_local),
    ("shared (CGNAT)", lambda ip: ip in _CGNAT),
    ("private", lambda ip: ip.is_private),
    ("reserved", lambda ip: ip.is_reserved),
]


class TargetRefused(LookoutError):  # noqa: N818  (the name the engine and services use)
    """The target may not be dialled; `reason` is written for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    # ::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach the IPv4 address they carry.
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal_reason(address: str, allow_private: bool) -> str | None:
    """Why `address` may not be dialled, or None when it may."""
    ip = _embedded_ipv4(ipaddress.ip_address(address))
    if ip in _METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _LINK_LOCAL_V4:
        return f"{address} is a link-local address"
    if allow_private:
        return None
    for kind, matches in _PRIVATE_KINDS:
        if matches(ip):
            return f"{address} is a {kind} address"
    return None


_LITERAL_CACHE_SIZE = 65_536


class TargetGuard:
    def __init__(self, resolver: Resolver, allow_private: bool) -> None:
        self.resolver = resolver
        self._allow_private = allow_private
        # An IP literal's verdict depends on nothing else (and a name is always a name), so
        # each host is parsed and judged once, not on every run.
        self._literals: dict[str, list[str] | str] = {}

    @property
    def allow_private(self) -> bool:
        return self._allow_private

    @allow_private.setter
    def allow_private(self, allow: bool) -> None:
        self._allow_private = allow
        self._literals.clear()

    async def check(self, host: str) -> list[str]:
        """The addresses of `host` that may be dialled, IPv4 first.

        Raises ResolveError when the host does not resolve and TargetRefused when none of
        its addresses may be dialled. Refused addresses among allowed ones are dropped, so a
        name that also points at a metadata address can never reach it.
        """
        verdict = self._literals.get(host)
        if verdict is None:
            verdict = self._judge_literal(host)
        if isinstance(verdict, str):
            raise TargetRefused(verdict)
        if verdict:
            return list(verdict)
        return self._allowed(await self.resolver.resolve(host))

    def _judge_literal(self, host: str) -> list[str] | str:
        """Allowed addresses or the refusal of an IP literal; [] for a name (resolve it)."""
        verdict: list[str] | str
        try:
            address = str(ipaddress.ip_address(host.strip().strip("[]")))
        except ValueError:
            verdict = []
        else:
            try:
                verdict = self._allowed([address])
            except TargetRefused as refused:
                verdict = refused.reason
        if len(self._literals) >= _LITERAL_CACHE_SIZE:
            self._literals.clear()
        self._literals[host] = verdict
        return verdict

    def _allowed(self, addresses: list[str]) -> list[str]:
        allowed: list[str] = []
        reasons: list[str] = []
        for address in addresses:
            reason = refusal_reason(address, self.allow_private)
            if reason is None:
                allowed.append(address)
            else:
                reasons.append(reason)
        if not allowed:
            raise TargetRefused("; ".join(reasons))
        return sorted(allowed, key=lambda address: ":" in address)
