"""IPv6 forms that carry an IPv4 address are judged as that address.

Every address here is a literal: the guard judges it without resolving, and nothing dials it.
"""

from __future__ import annotations

import ipaddress

import pytest

from lookout.net.guard import PRIVATE_HINT, TargetGuard, TargetRefused, refusal_reason
from lookout.net.resolve import Resolver


class NoResolver(Resolver):
    async def resolve(self, host: str) -> list[str]:
        raise AssertionError(f"a literal was resolved: {host}")


# Refused as metadata (or IPv4 link-local) whether or not private targets are allowed.
ALWAYS_REFUSED = [
    ("168.63.129.16", "cloud metadata"),
    ("::ffff:168.63.129.16", "cloud metadata"),
    ("::169.254.169.254", "cloud metadata"),  # IPv4-compatible
    ("::a9fe:a9fe", "cloud metadata"),
    ("::ffff:0:a9fe:a9fe", "cloud metadata"),  # SIIT IPv4-translated
    ("64:ff9b::a83f:8110", "cloud metadata"),  # NAT64 of 168.63.129.16
    ("64:ff9b:1::a9fe:a9fe", "cloud metadata"),  # local-use NAT64, /96 layout
    ("64:ff9b:1:a9fe:a9:fe00::", "cloud metadata"),  # /48 layout (bits 64-71 skipped)
    ("64:ff9b:1:a9:fe:a9fe::", "cloud metadata"),  # /56 layout
    ("64:ff9b:1:0:a9:fea9:fe00:0", "cloud metadata"),  # /64 layout
    ("2002:a9fe:a9fe::1", "cloud metadata"),  # 6to4
    ("2002:a83f:8110:1::", "cloud metadata"),
    ("2002:a9fe:1::1", "link-local"),  # 6to4 of 169.254.0.1
    ("2001:0:a9fe:a9fe::f7f7:f7f7", "cloud metadata"),  # Teredo server
    ("2001:0:808:808::5601:5601", "cloud metadata"),  # Teredo client (XOR 0xffffffff)
    ("2a00:1450:4001::5efe:169.254.169.254", "cloud metadata"),  # ISATAP
    ("2a00:1450:4001::200:5efe:a9fe:a9fe", "cloud metadata"),
    ("fe80::5efe:a9fe:a9fe", "cloud metadata"),
    ("fe80::200:5efe:168.63.129.16", "cloud metadata"),
    ("fe80::a9fe:a9fe", "cloud metadata"),
    ("fe80::169.254.170.2", "link-local"),
    ("2001:db8:64::a9fe:a9fe", "cloud metadata"),  # a network-specific NAT64 prefix
    ("fd00:ec2::254%eth0", "cloud metadata"),  # a zone must not hide the address
    ("fe80::5efe:a9fe:a9fe%eth0", "cloud metadata"),
]

# Refused with this kind unless private targets are allowed.
PRIVATE = [
    ("::7f00:1", "loopback"),
    ("::10.0.0.1", "private"),
    ("::ffff:0:a00:1", "private"),
    ("64:ff9b::7f00:1", "loopback"),
    ("64:ff9b:1::7f00:1", "loopback"),
    ("64:ff9b:1::808:808", "private"),  # the local-use prefix is not globally reachable
    ("2002:7f00:1::1", "loopback"),
    ("2002:a00:1::", "private"),
    ("2002:6440:1::1", "shared (CGNAT)"),
    ("2001:0:a00:1::f7f7:f7f7", "private"),  # Teredo server 10.0.0.1
    ("2001:0:808:808::80ff:fffe", "loopback"),  # Teredo client 127.0.0.1
    ("2a00:1450:4001::5efe:10.0.0.1", "private"),
    ("2a00:1450:4001::200:5efe:127.0.0.1", "loopback"),
    ("fe80::5efe:808:808", "link-local"),
    ("fe80::200:5efe:10.0.0.1", "link-local"),
    ("fe80::1%eth0", "link-local"),
]

# Public IPv4 addresses carried in IPv6, and public IPv6 addresses that only look similar.
PUBLIC = [
    "::8.8.8.8",
    "::ffff:0:808:808",
    "64:ff9b::808:808",
    "2002:808:808::1",
    "2002:808:808::5efe:8.8.8.8",
    "2001:0:808:808::f7f7:f7f7",
    "2a00:1450:4001::5efe:8.8.8.8",
    "2606:4700::1111",
    "2606:4700:4700::6464",
]


def canonical(address: str) -> str:
    """How the guard writes a literal back (and names it in a refusal)."""
    return str(ipaddress.ip_address(address))


async def judged(address: str, allow_private: bool) -> list[str] | str:
    """The guard's verdict on a literal: its addresses, or the reason it refused."""
    guard = TargetGuard(NoResolver(), allow_private=allow_private)
    try:
        return await guard.check(address)
    except TargetRefused as refused:
        return refused.reason


@pytest.mark.parametrize(("address", "kind"), ALWAYS_REFUSED)
@pytest.mark.parametrize("allow_private", [True, False])
async def test_metadata_carried_anywhere_is_refused(address: str, kind: str, allow_private: bool) -> None:
    assert refusal_reason(address, allow_private) == f"{address} is a {kind} address"
    reason = f"{canonical(address)} is a {kind} address"
    assert await judged(address, allow_private) == reason
    assert await judged(f"[{address}]", allow_private) == reason


@pytest.mark.parametrize(("address", "kind"), PRIVATE)
async def test_carried_private_addresses_follow_the_setting(address: str, kind: str) -> None:
    assert refusal_reason(address, allow_private=False) == f"{address} is a {kind} address"
    assert (
        await judged(address, allow_private=False)
        == f"{canonical(address)} is a {kind} address" + PRIVATE_HINT
    )
    assert await judged(address, allow_private=True) == [canonical(address)]


@pytest.mark.parametrize("address", PUBLIC)
@pytest.mark.parametrize("allow_private", [True, False])
async def test_carried_public_addresses_pass(address: str, allow_private: bool) -> None:
    assert refusal_reason(address, allow_private) is None
    assert await judged(address, allow_private) == [canonical(address)]


async def test_a_name_keeps_only_the_addresses_that_carry_nothing_refused() -> None:
    class Answers(Resolver):
        async def resolve(self, host: str) -> list[str]:
            return ["2002:a9fe:a9fe::1", "::ffff:168.63.129.16", "2002:808:808::1"]

    guard = TargetGuard(Answers(), allow_private=True)
    assert await guard.check("mixed.test") == ["2002:808:808::1"]
