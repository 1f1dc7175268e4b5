"""A loopback TCP server that greets, echoes a reply to what it gets, or stays silent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


@asynccontextmanager
async def serve_tcp(
    banner: bytes = b"220 lookout.test ESMTP ready\r\n",
    reply_prefix: bytes = b"250 got ",
    greet_after_s: float = 0.0,
) -> AsyncIterator[int]:
    """Yield the port. Each connection gets `banner` (after a delay, if asked), then every
    line it sends is answered with `reply_prefix` + that line."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if greet_after_s:
                await asyncio.sleep(greet_after_s)
            if banner:
                writer.write(banner)
                await writer.drain()
            while line := await reader.readline():
                writer.write(reply_prefix + line)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released just now)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
