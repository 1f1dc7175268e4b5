"""A loopback HTTP proxy that puts every connection a headless browser makes through the
target guard.

A browser fetches whatever the page asks for: images on a metadata address, scripts on the
LAN, redirects anywhere. Chromium is started with this proxy as its only way out
(`--proxy-server`, and `<-loopback>` so loopback goes through it too), so each request's
host is judged before any socket to it is opened, and the address dialled is one the guard
allowed (a name cannot be re-resolved to another address between the check and the dial).

It speaks just enough HTTP/1.1 for a browser: CONNECT for HTTPS and WebSockets (a byte
tunnel; TLS stays between the browser and the site), and absolute-form requests for plain
HTTP, forwarded with `Connection: close` so one upstream connection carries one request.
Refused hosts are answered 403 and remembered, so the check can say what was blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

from lookout.errors import LookoutError
from lookout.net.guard import TargetGuard, TargetRefused

HEAD_LIMIT = 32 * 1024
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0
REFUSALS_KEPT = 50
_CHUNK = 64 * 1024
_HOP_HEADERS = frozenset({b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"})

Connect = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
"""Opens a connection to (address, port); a seam so tests can prove what was dialled."""


async def dial(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(address, port)


@dataclass(frozen=True, slots=True)
class Refusal:
    host: str
    reason: str


@dataclass(slots=True)
class _Request:
    method: bytes
    host: str
    port: int
    # For plain HTTP: the request head rewritten for the origin server; None for CONNECT.
    forward_head: bytes | None


class BadRequest(Exception):  # noqa: N818  (a reason, not an error of ours)
    pass


@dataclass(slots=True)
class GuardProxy:
    """`async with GuardProxy(guard) as proxy:` listens on 127.0.0.1 at `proxy.port`."""

    guard: TargetGuard
    connect: Connect = dial
    refusals: list[Refusal] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> GuardProxy:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
        except asyncio.LimitOverrunError:
            return await _answer(writer, 431, "Request Header Fields Too Large")
        if len(head) > HEAD_LIMIT:
            return await _answer(writer, 431, "Request Header Fields Too Large")
        try:
            request = parse_head(head)
        except BadRequest as exc:
            return await _answer(writer, 400, str(exc))
        if request.host.rstrip(".").lower().endswith(".invalid"):  # RFC 6761: never resolves
            return await _answer(writer, 502, "No such host")
        try:
            addresses = await self.guard.check(request.host)
        except TargetRefused as refused:
            self._refused(request.host, refused.reason)
            return await _answer(writer, 403, "Refused by Lookout's target guard")
        except LookoutError as exc:  # ResolveError
            return await _answer(writer, 502, str(exc)[:200])
        upstream = await self._dial(addresses, request.port)
        if upstream is None:
            return await _answer(writer, 502, "Could not connect")
        up_reader, up_writer = upstream
        try:
            if request.forward_head is None:
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await writer.drain()
            else:
                up_writer.write(request.forward_head)
            await _pipe_both(reader, writer, up_reader, up_writer)
        finally:
            up_writer.close()

    async def _dial(
        self, addresses: list[str], port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for address in addresses:
            try:
                return await asyncio.wait_for(self.connect(address, port), CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError):
                continue
        return None

    def _refused(self, host: str, reason: str) -> None:
        if len(self.refusals) < REFUSALS_KEPT and all(r.host != host for r in self.refusals):
            self.refusals.append(Refusal(host, reason))


def parse_head(head: bytes) -> _Request:
    """The target of a proxy request: CONNECT host:port, or an absolute http:// URL whose
    head is rewritten to origin form for the server."""
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise BadRequest("Malformed request line")
    method, target, version = parts
    if method == b"CONNECT":
        host, _, port_text = target.decode("ascii", "replace").rpartition(":")
        return _Request(method, _host(host), _port(port_text), None)
    url = urlsplit(target.decode("ascii", "replace"))
    if url.scheme != "http" or not url.hostname:
        raise BadRequest("Only CONNECT and absolute http:// requests are proxied")
    try:
        port = url.port or 80
    except ValueError as exc:
        raise BadRequest("Bad port") from exc
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    headers = [line for line in lines[1:] if line.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
    forward = b"\r\n".join(
        [b" ".join([method, path.encode("ascii", "replace"), version]), *headers, b"Connection: close"]
    )
    return _Request(method, _host(url.hostname), _port(str(port)), forward + b"\r\n\r\n")


def _host(host: str) -> str:
    host = host.strip("[]")
    if not host or len(host) > 253:
        raise BadRequest("Bad host")
    return host


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BadRequest("Bad port")
    return int(text)


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = reason.encode("utf-8", "replace")
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1", "replace")
        + b"Content-Type: text/plain\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Copy bytes both ways until either side closes."""
    upward = asyncio.create_task(_pipe(reader, up_writer))
    downward = asyncio.create_task(_pipe(up_reader, writer))
    try:
        await asyncio.wait({upward, downward}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (upward, downward):
            task.cancel()
        await asyncio.gather(upward, downward, return_exceptions=True)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
