from pathlib import Path

import pytest

from lookout.net.resolve import ResolveError, Resolver, parse_nameservers


async def test_ip_literals_come_back_as_they_are(resolver: Resolver) -> None:
    assert await resolver.resolve("192.0.2.7") == ["192.0.2.7"]
    assert await resolver.resolve("[2001:db8::1]") == ["2001:db8::1"]


async def test_localhost_needs_no_dns(tmp_path: Path) -> None:
    # No hosts file either: the one the machine has may list localhost differently.
    unreachable = Resolver.from_setting("127.0.0.1:9", timeout_s=0.2, hosts_file=tmp_path / "hosts")
    assert await unreachable.resolve("localhost") == ["127.0.0.1", "::1"]


async def test_names_resolve_a_and_aaaa_ipv4_first(resolver: Resolver) -> None:
    assert await resolver.resolve("site.test") == ["127.0.0.1"]
    assert await resolver.resolve("Dual.Test.") == ["127.0.0.1", "::1"]


async def test_unknown_name_raises_a_readable_error(resolver: Resolver) -> None:
    with pytest.raises(ResolveError, match=r"^could not resolve nope\.test \(no such domain\)$"):
        await resolver.resolve("nope.test")


async def test_silent_nameserver_times_out_as_resolve_error() -> None:
    silent = Resolver.from_setting("127.0.0.1:9", timeout_s=0.3)
    with pytest.raises(ResolveError, match="could not resolve site.test"):
        await silent.resolve("site.test")


def test_setting_parses_hosts_and_ports() -> None:
    assert parse_nameservers("10.0.0.2:5353, [2001:db8::1]:53,9.9.9.9") == [
        ("10.0.0.2", 5353),
        ("2001:db8::1", 53),
        ("9.9.9.9", 53),
    ]


@pytest.mark.parametrize("setting", ["dns.example:53", ",", "10.0.0.1:99999"])
def test_setting_rejects_what_is_not_an_address(setting: str) -> None:
    with pytest.raises(ValueError):
        parse_nameservers(setting)


def test_blank_setting_means_the_system_resolvers() -> None:
    assert Resolver.from_setting(None)._nameservers is None
    assert Resolver.from_setting("  ")._nameservers is None
