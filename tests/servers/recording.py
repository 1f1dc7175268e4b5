"""A loopback HTTP server that keeps the raw bytes it was sent, to see exactly what arrived.

Every connection's bytes are recorded; each request head (up to the blank line) is answered
with a 200 and closed. Nothing parses the request, so injected lines stay visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


@dataclass
class Recording:
    port: int
    received: list[bytes] = field(default_factory=list)
    """One entry per connection: everything read before it closed or its head ended."""

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@asynccontextmanager
async def serve_recording() -> AsyncIterator[Recording]:
    recording = Recording(port=0)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        try:
            while b"\r\n\r\n" not in data and (chunk := await reader.read(65536)):
                data += chunk
            recording.received.append(data)
            writer.write(_ANSWER)
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    recording.port = server.sockets[0].getsockname()[1]
    try:
        yield recording
    finally:
        server.close()
        await server.wait_closed()
