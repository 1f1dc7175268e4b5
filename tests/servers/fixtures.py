"""pytest fixtures over the loopback servers; conftests re-export the ones they use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
import trustme

from lookout.checks.base import CheckContext
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from tests.servers.dns import serve_dns
from tests.servers.http import RunningServer, serve_http
from tests.servers.tls import server_context, write_ca

# Names the loopback nameserver knows; TLS certificates are issued for SITE.
SITE = "site.test"
DNS_RECORDS = {SITE: ["127.0.0.1"], "dual.test": ["127.0.0.1", "::1"], "meta.test": ["169.254.169.254"]}


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(test_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_ca(test_ca, Path(tmp_path_factory.mktemp("ca")))


@pytest_asyncio.fixture
async def resolver() -> AsyncIterator[Resolver]:
    async with serve_dns(DNS_RECORDS) as setting:
        yield Resolver.from_setting(setting, timeout_s=2.0)


@pytest.fixture
def guard(resolver: Resolver) -> TargetGuard:
    return TargetGuard(resolver, allow_private=True)


@pytest.fixture
def http_client(guard: TargetGuard, ca_file: str) -> HttpClient:
    return HttpClient(guard, ca_file=ca_file)


@pytest_asyncio.fixture
async def http_server() -> AsyncIterator[RunningServer]:
    async with serve_http() as server:
        yield server


@pytest_asyncio.fixture
async def https_server(test_ca: trustme.CA) -> AsyncIterator[RunningServer]:
    context = server_context(test_ca, SITE, "127.0.0.1")
    async with serve_http(ssl_context=context) as server:
        yield server


@pytest.fixture
def ctx(resolver: Resolver, guard: TargetGuard, ca_file: str) -> CheckContext:
    """A check context over the loopback DNS server, private targets allowed, test CA trusted."""
    return CheckContext(
        resolver=resolver,
        guard=guard,
        clock=lambda: datetime.now(UTC),
        location="test",
        http_client=lambda g: HttpClient(g, ca_file=ca_file),
    )
