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
    ipaddress.ip_address(ip)
    for ip in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
_LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

# IPv6 prefixes that only carry an IPv4 address in their last 32 bits (IPv4-compatible,
# SIIT's IPv4-translated, the well-known NAT64 prefix): such an address is that IPv4 address.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215: not globally reachable, and its translator may place the IPv4 address at any
# RFC 6052 offset (48, 56, 64 or 96 bits), so every offset is looked at.
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_ISATAP_MARK = 0x00005EFE  # interface identifier 0:5efe or 200:5efe (u and g bits ignored)
_UG_BITS = 0x03000000

# Checked in order; the first that matches names the refusal.
_PRIVATE_KINDS: list[tuple[str, Callable[[IPAddress], bool]]] = [
    ("loopback", lambda ip: ip.is_loopback),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("multicast", lambda ip: ip.is_multicast),
    ("link-local", lambda ip: ip.is_link_local),
    ("shared (CGNAT)", lambda ip: ip in _CGNAT),
    ("private", lambda ip: ip.is_private or ip in _NAT64_LOCAL),
    ("reserved", lambda ip: ip.is_reserved),
]


class TargetRefused(LookoutError):  # noqa: N818  (the name the engine and services use)
    """The target may not be dialled; `reason` is written for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _rfc6052_ipv4(value: int, prefix_len: int) -> ipaddress.IPv4Address:
    """The IPv4 address after an RFC 6052 prefix of `prefix_len` bits (bits 64-71 never hold it)."""
    without_u = (value >> 64 << 56) | (value & ((1 << 56) - 1))
    start = prefix_len if prefix_len <= 64 else prefix_len - 8
    return ipaddress.IPv4Address((without_u >> (88 - start)) & 0xFFFFFFFF)


def _judged_as(ip: IPAddress) -> tuple[list[IPAddress], list[ipaddress.IPv4Address]]:
    """What `ip` is judged as: (addresses judged on every rule, IPv4 addresses it may carry).

    The second list is judged only against the rules that hold even when private targets are
    allowed: an interface identifier written as ::a.b.c.d (fe80::a.b.c.d, a network-specific
    NAT64 prefix) usually means nothing, but may reach a metadata address.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return [ip], []
    value = int(ip)
    last32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    carrier = ip.ipv4_mapped is not None or ip in _IPV4_TRANSLATED or ip in _NAT64
    if carrier or (ip in _IPV4_COMPATIBLE and value > 1):  # :: and ::1 are themselves
        return [last32], []
    if ip.teredo is not None:
        server, client = ip.teredo
        return [server, client], []
    if ip in _NAT64_LOCAL:
        return [ip, last32], [_rfc6052_ipv4(value, length) for length in (48, 56, 64)]
    # A 6to4 address is a tunnel to its IPv4 address; the rest is routed by its own prefix.
    judged: list[IPAddress] = [ip.sixtofour if ip.sixtofour is not None else ip]
    identifier_head = (value >> 32) & 0xFFFFFFFF
    if identifier_head & ~_UG_BITS == _ISATAP_MARK:
        return [*judged, last32], []
    if identifier_head in (0, 0xFFFF):
        return judged, [last32]
    return judged, []


def refusal_reason(address: str, allow_private: bool) -> str | None:
    """Why `address` may not be dialled, or None when it may.

    An IPv6 address that carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo,
    ISATAP) is judged as that IPv4 address too; raises ValueError when it is no address.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None:
        # A zone picks the interface, not another address; it would hide fd00:ec2::254%eth0.
        ip = ipaddress.IPv6Address(int(ip))
    judged, carried = _judged_as(ip)
    seen = [*judged, *carried]
    if any(candidate in _METADATA_ADDRESSES for candidate in seen):
        return f"{address} is a cloud metadata address"
    if any(candidate in _LINK_LOCAL_V4 for candidate in seen):
        return f"{address} is a link-local address"
    if allow_private:
        return None
    for kind, matches in _PRIVATE_KINDS:
        if any(matches(candidate) for candidate in judged):
            return f"{address} is a {kind} address"
    return None


_LITERAL_CACHE_SIZE = 65_536
# Said with a refusal that the operator's setting would lift (never with a metadata address).
PRIVATE_HINT = " (the instance refuses private targets; LOOKOUT_ALLOW_PRIVATE_TARGETS=true allows them)"


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
            private_only = not self.allow_private and any(
                refusal_reason(address, allow_private=True) is None for address in addresses
            )
            raise TargetRefused("; ".join(reasons) + (PRIVATE_HINT if private_only else ""))
        return sorted(allowed, key=lambda address: ":" in address)
