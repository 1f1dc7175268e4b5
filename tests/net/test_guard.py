import pytest

from lookout.net.guard import PRIVATE_HINT, TargetGuard, TargetRefused, refusal_reason
from lookout.net.resolve import ResolveError, Resolver

ALWAYS_REFUSED = [
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("169.254.10.1", "link-local"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),
]

PRIVATE = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "shared (CGNAT)"),
    ("10.1.2.3", "private"),
    ("192.168.1.1", "private"),
    ("172.16.0.1", "private"),
    ("fd12::1", "private"),
    ("::ffff:10.0.0.1", "private"),
]

PUBLIC = ["93.184.216.34", "2606:4700::1111", "8.8.8.8"]


@pytest.mark.parametrize(("address", "kind"), ALWAYS_REFUSED)
@pytest.mark.parametrize("allow_private", [True, False])
def test_metadata_and_link_local_v4_are_always_refused(address: str, kind: str, allow_private: bool) -> None:
    assert refusal_reason(address, allow_private) == f"{address} is a {kind} address"


@pytest.mark.parametrize(("address", "kind"), PRIVATE)
def test_private_ranges_are_refused_unless_allowed(address: str, kind: str) -> None:
    assert refusal_reason(address, allow_private=False) == f"{address} is a {kind} address"
    assert refusal_reason(address, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(address, allow_private=False) is None


async def test_check_returns_dialable_addresses_ipv4_first(resolver: Resolver) -> None:
    guard = TargetGuard(resolver, allow_private=True)
    assert await guard.check("dual.test") == ["127.0.0.1", "::1"]
    assert await guard.check("::1") == ["::1"]


async def test_check_refuses_names_pointing_at_metadata(resolver: Resolver) -> None:
    guard = TargetGuard(resolver, allow_private=True)
    with pytest.raises(TargetRefused, match="169.254.169.254 is a cloud metadata address"):
        await guard.check("meta.test")


async def test_check_refuses_loopback_when_private_is_not_allowed(resolver: Resolver) -> None:
    guard = TargetGuard(resolver, allow_private=False)
    with pytest.raises(TargetRefused) as caught:
        await guard.check("dual.test")
    assert caught.value.reason == "127.0.0.1 is a loopback address; ::1 is a loopback address" + PRIVATE_HINT


async def test_check_passes_resolve_errors_through(resolver: Resolver) -> None:
    with pytest.raises(ResolveError):
        await TargetGuard(resolver, allow_private=True).check("nope.test")
