"""The resolver answers from a hosts file before DNS, and the guard still judges the answer.

Every resolver here has a temporary hosts file and a loopback nameserver (a live one, or the
discard port where nothing answers), so no test asks a real DNS server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lookout.net import resolve
from lookout.net.guard import PRIVATE_HINT, TargetGuard, TargetRefused
from lookout.net.resolve import SYSTEM_HOSTS_FILE, ResolveError, Resolver, parse_hosts
from tests.servers.dns import serve_dns

NO_DNS = "127.0.0.1:9"

HOSTS = """\
# a comment line, then a blank one

127.0.0.1   localhost
::1         both.internal   # IPv6 first in the file
10.0.0.7    Both.Internal. alias.internal
10.0.0.7    both.internal
fe80::1%lo  scoped.internal
not-an-ip   broken.internal
10.0.0.8
"""


def write_hosts(path: Path, text: str, mtime_ns: int | None = None) -> Path:
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def hosts_only(path: Path | None) -> Resolver:
    return Resolver.from_setting(NO_DNS, timeout_s=0.2, hosts_file=path)


def test_the_hosts_format_is_read_as_the_system_reads_it() -> None:
    assert parse_hosts(HOSTS) == {
        "localhost": ["127.0.0.1"],
        "both.internal": ["10.0.0.7", "::1"],
        "alias.internal": ["10.0.0.7"],
        "scoped.internal": ["fe80::1%lo"],
    }


async def test_names_in_the_hosts_file_need_no_dns(tmp_path: Path) -> None:
    resolver = hosts_only(write_hosts(tmp_path / "hosts", HOSTS))
    assert await resolver.resolve("both.internal") == ["10.0.0.7", "::1"]
    assert await resolver.resolve("ALIAS.internal.") == ["10.0.0.7"]
    with pytest.raises(ResolveError, match="could not resolve broken.internal"):
        await resolver.resolve("broken.internal")


async def test_the_hosts_file_comes_before_dns_and_other_names_still_use_dns(tmp_path: Path) -> None:
    hosts = write_hosts(tmp_path / "hosts", "127.0.0.5 site.test\n")
    async with serve_dns({"site.test": ["127.0.0.1"], "dual.test": ["127.0.0.1", "::1"]}) as setting:
        resolver = Resolver.from_setting(setting, timeout_s=2.0, hosts_file=hosts)
        assert await resolver.resolve("site.test") == ["127.0.0.5"]
        assert await resolver.resolve("dual.test") == ["127.0.0.1", "::1"]


async def test_the_file_is_read_once_and_again_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    parse = resolve.parse_hosts

    def counted(text: str) -> dict[str, list[str]]:
        parses.append(text)
        return parse(text)

    monkeypatch.setattr(resolve, "parse_hosts", counted)
    hosts = write_hosts(tmp_path / "hosts", "127.0.0.2 app.internal\n", mtime_ns=1_000_000_000)
    resolver = hosts_only(hosts)
    for _ in range(3):
        assert await resolver.resolve("app.internal") == ["127.0.0.2"]
    assert len(parses) == 1

    write_hosts(hosts, "127.0.0.3 app.internal\n", mtime_ns=2_000_000_000)
    assert await resolver.resolve("app.internal") == ["127.0.0.3"]
    assert len(parses) == 2

    hosts.unlink()
    with pytest.raises(ResolveError):
        await resolver.resolve("app.internal")
    write_hosts(hosts, "127.0.0.4 app.internal\n")
    assert await resolver.resolve("app.internal") == ["127.0.0.4"]


async def test_localhost_comes_from_the_hosts_file_when_it_is_listed(tmp_path: Path) -> None:
    listed = hosts_only(write_hosts(tmp_path / "hosts", "127.0.0.1 localhost\n"))
    assert await listed.resolve("localhost") == ["127.0.0.1"]
    assert await hosts_only(tmp_path / "missing").resolve("localhost") == ["127.0.0.1", "::1"]
    assert await hosts_only(None).resolve("localhost") == ["127.0.0.1", "::1"]


async def test_no_hosts_file_means_dns_only(tmp_path: Path) -> None:
    write_hosts(tmp_path / "hosts", "127.0.0.2 app.internal\n")
    with pytest.raises(ResolveError, match="could not resolve app.internal"):
        await hosts_only(None).resolve("app.internal")


def test_the_system_hosts_file_is_the_default() -> None:
    assert SYSTEM_HOSTS_FILE == "/etc/hosts"
    for resolver in (Resolver(), Resolver.from_setting(None), Resolver.from_setting(NO_DNS)):
        assert resolver._hosts is not None
        assert resolver._hosts.path == Path("/etc/hosts")


async def test_the_guard_judges_what_the_hosts_file_says(tmp_path: Path) -> None:
    hosts = write_hosts(
        tmp_path / "hosts",
        "169.254.169.254 meta.internal\n"
        "168.63.129.16 wire.internal\n"
        "::ffff:169.254.169.254 mapped.internal\n"
        "169.254.169.254 mixed.internal\n"
        "127.0.0.1 mixed.internal\n",
    )
    guard = TargetGuard(hosts_only(hosts), allow_private=True)
    for name, address in [
        ("meta.internal", "169.254.169.254"),
        ("wire.internal", "168.63.129.16"),
        ("mapped.internal", "::ffff:a9fe:a9fe"),
    ]:
        with pytest.raises(TargetRefused, match=f"^{address} is a cloud metadata address$"):
            await guard.check(name)
    assert await guard.check("mixed.internal") == ["127.0.0.1"]

    guard.allow_private = False
    with pytest.raises(TargetRefused) as refused:
        await guard.check("mixed.internal")
    assert refused.value.reason == (
        "169.254.169.254 is a cloud metadata address; 127.0.0.1 is a loopback address" + PRIVATE_HINT
    )
