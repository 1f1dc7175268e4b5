"""The guard proxy a headless browser goes out through: tunnels and plain requests reach
allowed loopback servers; refused hosts get a 403 before any socket is opened (the dial
seam records every address, and the tests assert it never saw a refused one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from lookout.net.browser_proxy import BadRequest as ProxyBadRequest
from lookout.net.browser_proxy import GuardProxy, parse_head
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver


class Dialled:
    def __init__(self) -> None:
        self.addresses: list[tuple[str, int]] = []

    async def __call__(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.addresses.append((address, port))
        if address != "127.0.0.1":
            raise ConnectionRefusedError(f"the test never dials {address}")
        return await asyncio.open_connection(address, port)


@pytest.fixture
async def origin() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A loopback server that records what it reads and answers one HTTP response."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1], seen
    server.close()
    await server.wait_closed()


async def exchange(proxy: GuardProxy, request: bytes, then: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(request)
    await writer.drain()
    if then:
        status = await reader.readuntil(b"\r\n\r\n")
        writer.write(then)
        await writer.drain()
        return status + await asyncio.wait_for(reader.read(), 5)
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


def guard(allow_private: bool) -> TargetGuard:
    return TargetGuard(Resolver.from_setting(None), allow_private=allow_private)


async def test_a_tunnel_to_an_allowed_host_carries_bytes_both_ways(origin: tuple[int, list[bytes]]) -> None:
    port, seen = origin
    dialled = Dialled()
    async with GuardProxy(guard(allow_private=True), connect=dialled) as proxy:
        answer = await exchange(
            proxy,
            f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode(),
            then=b"GET /inside HTTP/1.1\r\nHost: x\r\n\r\n",
        )
    assert answer.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK")
    assert answer.endswith(b"hello")
    assert seen == [b"GET /inside HTTP/1.1\r\nHost: x\r\n\r\n"]
    assert dialled.addresses == [("127.0.0.1", port)] and proxy.refusals == []


async def test_a_plain_request_is_forwarded_in_origin_form_without_proxy_headers(
    origin: tuple[int, list[bytes]],
) -> None:
    port, seen = origin
    async with GuardProxy(guard(allow_private=True), connect=Dialled()) as proxy:
        answer = await exchange(
            proxy,
            f"GET http://127.0.0.1:{port}/page?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nX-Kept: yes\r\n\r\n".encode(),
        )
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"hello")
    forwarded = f"GET /page?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Kept: yes\r\nConnection: close"
    assert seen == [f"{forwarded}\r\n\r\n".encode()]


@pytest.mark.parametrize(
    ("request_line", "allow_private", "reason"),
    [
        (b"CONNECT 169.254.169.254:80 HTTP/1.1", True, "169.254.169.254 is a cloud metadata address"),
        (b"GET http://169.254.169.254/latest/meta-data/ HTTP/1.1", True, "cloud metadata"),
        (b"CONNECT [fd00:ec2::254]:443 HTTP/1.1", True, "cloud metadata"),
        (b"CONNECT 127.0.0.1:9 HTTP/1.1", False, "127.0.0.1 is a loopback address"),
        (b"GET http://10.0.0.1/ HTTP/1.1", False, "10.0.0.1 is a private address"),
    ],
)
async def test_a_refused_host_is_answered_403_before_any_socket(
    request_line: bytes, allow_private: bool, reason: str
) -> None:
    dialled = Dialled()
    async with GuardProxy(guard(allow_private), connect=dialled) as proxy:
        answer = await exchange(proxy, request_line + b"\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403 ")
    assert dialled.addresses == []
    (refusal,) = proxy.refusals
    assert reason in refusal.reason


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET ftp://127.0.0.1/ HTTP/1.1\r\n\r\n",
        b"CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n",
        b"CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n",
        b"CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
        b"GET http://127.0.0.1:x/ HTTP/1.1\r\n\r\n",
    ],
)
async def test_what_is_not_a_proxy_request_is_a_400_and_dials_nothing(request_bytes: bytes) -> None:
    dialled = Dialled()
    async with GuardProxy(guard(allow_private=True), connect=dialled) as proxy:
        answer = await exchange(proxy, request_bytes)
    assert answer.startswith(b"HTTP/1.1 400 ") and dialled.addresses == []


async def test_an_endless_request_head_is_refused() -> None:
    dialled = Dialled()
    async with GuardProxy(guard(allow_private=True), connect=dialled) as proxy:
        answer = await exchange(proxy, b"GET http://127.0.0.1/ HTTP/1.1\r\n" + b"X-Long: " + b"a" * 100_000)
    assert answer.startswith(b"HTTP/1.1 431 ") and dialled.addresses == []


async def test_an_invalid_name_is_a_502_without_asking_the_resolver() -> None:
    class NoResolver(Resolver):
        async def resolve(self, host: str) -> list[str]:
            raise AssertionError(f"asked to resolve {host}")

    dialled = Dialled()
    strict = TargetGuard(NoResolver(), allow_private=True)
    async with GuardProxy(strict, connect=dialled) as proxy:
        answer = await exchange(proxy, b"CONNECT browser-service.invalid:443 HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 502 ") and dialled.addresses == [] and proxy.refusals == []


async def test_a_host_that_answers_nothing_is_a_502() -> None:
    async with GuardProxy(guard(allow_private=True)) as proxy:
        # Port 9 (discard) on loopback has no listener here: refused at once.
        answer = await exchange(proxy, b"CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 502 ")


def test_parse_head_keeps_the_target_and_port() -> None:
    connect = parse_head(b"CONNECT example.com:8443 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert (connect.host, connect.port, connect.forward_head) == ("example.com", 8443, None)
    plain = parse_head(b"GET http://[::1]:8080/a HTTP/1.1\r\n\r\n")
    assert (plain.host, plain.port) == ("::1", 8080)
    with pytest.raises(ProxyBadRequest):
        parse_head(b"CONNECT " + b"a" * 300 + b":443 HTTP/1.1\r\n\r\n")
