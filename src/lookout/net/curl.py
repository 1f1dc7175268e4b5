"""Run libcurl transfers on the asyncio event loop.

libcurl's multi interface says which sockets it wants watched and when its next timeout
is due (the socket and timer callbacks); we hand those to `loop.add_reader`,
`loop.add_writer` and `loop.call_later`, and call `socket_action` when they fire. No
thread, no polling: a transfer costs a fraction of what a pure-Python client costs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pycurl  # type: ignore[import-untyped, unused-ignore]  # no stubs published


@dataclass(frozen=True, slots=True)
class CurlFailure:
    code: int
    message: str


class CurlDriver:
    """One multi handle bound to the running loop; transfers are independent easy handles.

    Connections are not reused when the easy handles set FRESH_CONNECT and FORBID_REUSE,
    which `lookout.net.http` always does, so monitors never share a connection.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        self._multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        self._pending: dict[pycurl.Curl, asyncio.Future[CurlFailure | None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._watching: dict[int, int] = {}

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    async def perform(self, curl: pycurl.Curl) -> CurlFailure | None:
        """Run one transfer to its end; None on success, else curl's error."""
        future: asyncio.Future[CurlFailure | None] = self._loop.create_future()
        self._pending[curl] = future
        self._multi.add_handle(curl)
        try:
            return await future
        finally:
            if self._pending.pop(curl, None) is not None:
                # Cancelled mid-transfer: detach so libcurl closes the socket.
                self._multi.remove_handle(curl)

    def _on_socket(self, what: int, fd: int, multi: object, data: object) -> None:
        # Only touch the selector for what changed: registering is most of a transfer's cost.
        before = self._watching.get(fd, pycurl.POLL_NONE)
        now = pycurl.POLL_NONE if what == pycurl.POLL_REMOVE else what
        changed = before ^ now
        if changed & pycurl.POLL_IN:
            if now & pycurl.POLL_IN:
                self._loop.add_reader(fd, self._act, fd, pycurl.CSELECT_IN)
            else:
                self._loop.remove_reader(fd)
        if changed & pycurl.POLL_OUT:
            if now & pycurl.POLL_OUT:
                self._loop.add_writer(fd, self._act, fd, pycurl.CSELECT_OUT)
            else:
                self._loop.remove_writer(fd)
        if now == pycurl.POLL_NONE:
            self._watching.pop(fd, None)
        else:
            self._watching[fd] = now

    def _on_timer(self, timeout_ms: int) -> None:
        # libcurl forbids socket_action from inside its own callback, so always defer.
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if timeout_ms >= 0:
            self._timer = self._loop.call_later(timeout_ms / 1000, self._act, pycurl.SOCKET_TIMEOUT, 0)

    def _act(self, fd: int, events: int) -> None:
        while True:
            code, _running = self._multi.socket_action(fd, events)
            if code != pycurl.E_CALL_MULTI_PERFORM:
                break
        self._collect()

    def _collect(self) -> None:
        while True:
            queued, done, failed = self._multi.info_read()
            for curl in done:
                self._finish(curl, None)
            for curl, code, message in failed:
                self._finish(curl, CurlFailure(code, message))
            if not queued:
                return

    def _finish(self, curl: pycurl.Curl, failure: CurlFailure | None) -> None:
        self._multi.remove_handle(curl)
        future = self._pending.pop(curl, None)
        if future is not None and not future.done():
            future.set_result(failure)
