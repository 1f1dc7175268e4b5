"""Per-token request budget per minute, with Oh Dear's `X-RateLimit-*` headers.

A pure ASGI middleware so that every answer under /api carries the headers, errors too.
The window lives in this process; several API processes would each count on their own.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str) -> tuple[int, int]:
        """Count one request; returns (remaining, window reset as a unix time)."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
            if len(self._windows) > 10_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        count += 1
        self._windows[key] = (window, count)
        return self.limit - count, (window + 1) * WINDOW_SECONDS


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, prefix: str = "/api") -> None:
        self.app = app
        self.limiter = limiter
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        remaining, reset = self.limiter.hit(_client_key(scope))
        limit = str(self.limiter.limit).encode()
        if remaining < 0:
            retry_after = max(1, math.ceil(reset - time.time()))
            body = orjson.dumps({"message": "Too Many Attempts.", "error": "Too Many Attempts."})
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-ratelimit-limit", limit),
                (b"x-ratelimit-remaining", b"0"),
                (b"retry-after", str(retry_after).encode()),
                (b"x-ratelimit-reset", str(reset).encode()),
            ]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-ratelimit-limit", limit),
                    (b"x-ratelimit-remaining", str(max(remaining, 0)).encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _client_key(scope: Scope) -> str:
    # Keyed by credential, so each token has its own budget; anonymous callers by address.
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return hashlib.sha256(value).hexdigest()
    client = scope.get("client")
    return f"ip:{client[0] if client else '?'}"
