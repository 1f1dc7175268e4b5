"""The ports check against real TCP listeners on loopback: open ports accept, closed ones
refuse, and a port that should be closed but is open fails the run."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from lookout.checks.base import CheckContext, Target
from lookout.checks.ports import PortsCheck
from lookout.model.check_settings.others import PortsSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import Outcome
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver


async def _close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


@pytest_asyncio.fixture
async def listening() -> AsyncIterator[list[int]]:
    """Two ports that accept connections."""
    servers = [await asyncio.start_server(_close, "127.0.0.1", 0) for _ in range(2)]
    yield [server.sockets[0].getsockname()[1] for server in servers]
    for server in servers:
        server.close()
        await server.wait_closed()


def free_port() -> int:
    """A port nothing listens on (bound and released: the kernel then refuses it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def local_ctx() -> CheckContext:
    resolver = Resolver(hosts_file=None)
    return CheckContext(
        resolver=resolver, guard=TargetGuard(resolver, allow_private=True), clock=lambda: datetime.now(UTC)
    )


async def test_open_and_closed_ports_as_expected(local_ctx: CheckContext, listening: list[int]) -> None:
    closed = free_port()
    result = await PortsCheck().run(
        Target(1, MonitorType.HTTP, "http://127.0.0.1/"),
        PortsSettings(
            expected_open_ports=listening, expected_closed_ports=[closed], timeout_per_port_ms=1000
        ),
        local_ctx,
    )
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    assert result.summary == "2 open, 1 closed, as expected"
    details = result.details
    assert details["scanned_host"] == "127.0.0.1" and details["resolved_ip"] == "127.0.0.1"
    assert details["open_ports"] == sorted(listening) and details["closed_ports"] == [closed]
    assert details["issues"] == []
    assert {f.key: f.payload for f in result.findings or ()} == {f"port {p}": {"port": p} for p in listening}


async def test_a_port_that_should_be_closed_but_is_open_fails(
    local_ctx: CheckContext, listening: list[int]
) -> None:
    result = await PortsCheck().run(
        Target(1, MonitorType.TCP, f"127.0.0.1:{listening[0]}"),
        PortsSettings(expected_open_ports=[listening[0]], expected_closed_ports=[listening[1]]),
        local_ctx,
    )
    assert result.outcome is Outcome.FAILED
    assert result.summary == f"Down: Port {listening[1]} should be closed but is open"
    assert result.details["issues"] == [f"Port {listening[1]} should be closed but is open"]
    assert {f.key for f in result.findings or ()} == {f"port {p}" for p in listening}


async def test_a_port_that_should_be_open_but_refuses_fails(local_ctx: CheckContext) -> None:
    closed = free_port()
    result = await PortsCheck().run(
        Target(1, MonitorType.HTTP, "http://localhost/"),
        PortsSettings(expected_open_ports=[closed], expected_closed_ports=[]),
        local_ctx,
    )
    assert result.outcome is Outcome.FAILED
    assert result.details["issues"] == [f"Port {closed} should be open but is closed"]
    assert result.findings == ()


async def test_a_refused_target_is_down(listening: list[int]) -> None:
    resolver = Resolver(hosts_file=None)
    ctx = CheckContext(
        resolver=resolver, guard=TargetGuard(resolver, allow_private=False), clock=lambda: datetime.now(UTC)
    )
    result = await PortsCheck().run(
        Target(1, MonitorType.HTTP, "http://127.0.0.1/"), PortsSettings(expected_open_ports=listening), ctx
    )
    assert result.outcome is Outcome.FAILED and "loopback" in result.summary
    assert result.findings is None


def test_settings_bound_what_a_user_types() -> None:
    PortsSettings(expected_open_ports=[1, 65535])
    for bad in (
        {"expected_open_ports": [0]},
        {"expected_closed_ports": [70000]},
        {"timeout_per_port_ms": 10},
    ):
        with pytest.raises(ValueError):
            PortsSettings.model_validate(bad)
    with pytest.raises(ValueError):
        PortsSettings(expected_open_ports=list(range(1, 22)))
