"""A plain TCP conversation: connect, read until a string shows up, send, close."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time
from types import TracebackType

from lookout.errors import LookoutError

READ_LIMIT = 64 * 1024


class TcpError(LookoutError):
    """Connecting failed; `refused` tells a refusal from everything else."""

    def __init__(self, message: str, *, refused: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.refused = refused
        self.timed_out = timed_out


class TcpConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connect_ms: float) -> None:
        self._reader = reader
        self._writer = writer
        self.connect_ms = connect_ms

    @classmethod
    async def open(cls, ip: str, port: int, timeout_s: float) -> TcpConnection:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                reader, writer = await asyncio.open_connection(ip, port)
        except TimeoutError:
            raise TcpError(f"timed out connecting after {timeout_s * 1000:g} ms", timed_out=True) from None
        except ConnectionRefusedError:
            raise TcpError("connection refused", refused=True) from None
        except OSError as exc:
            reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
            raise TcpError(f"could not connect: {reason.lower()}") from None
        return cls(reader, writer, (time.perf_counter() - started) * 1000)

    async def read_until(self, needle: bytes, timeout_s: float) -> bytes:
        """Everything read until `needle` appears, the peer closes, or time runs out."""
        data = bytearray()
        try:
            async with asyncio.timeout(max(timeout_s, 0)):
                while needle not in data and len(data) < READ_LIMIT:
                    chunk = await self._reader.read(4096)
                    if not chunk:
                        break
                    data += chunk
        except (TimeoutError, ConnectionError):
            pass
        return bytes(data)

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def __aenter__(self) -> TcpConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
