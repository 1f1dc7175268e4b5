"""Request bodies above a size are refused with 413, before or while they are read.

A `Content-Length` above the limit is answered at once, unread. A body without one
(chunked) is counted as the app pulls it and cut off at the chunk that passes the limit.
Both answers close the connection, so the server does not read the rest to find the next request.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lookout.api.ohdear.errors import error_response

MESSAGE = "The request body is too large."
_CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """Raised from `receive`. An HTTPException, so that FastAPI passes it through its body
    parsing (anything else becomes a 400) and the app's handler answers it as JSON."""

    def __init__(self) -> None:
        super().__init__(413, MESSAGE, _CLOSE)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await error_response(413, MESSAGE, _CLOSE)(scope, receive, send)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            # Only when nothing inside answered it (FastAPI's routes do, through the handler).
            if started:
                raise
            await error_response(413, MESSAGE, _CLOSE)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"content-length":
            if not value.isdigit():  # the server refuses these before we see them
                return None
            return int(value) if len(value) < 19 else 2**63
    return None
