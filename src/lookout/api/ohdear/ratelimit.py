"""Requests per minute, Laravel's `throttle:500,1`: per token for callers who authenticated,
per client address for everyone else (their 401s included), with Oh Dear's headers.

A window opens at a key's first request and lasts a minute, as Laravel's does. Counts live in
this process (`MemoryWindows`), in memory the API workers of one `lookout serve` share
(`ratelimit_shared`) or, shared by every API process, in Redis (`ratelimit_redis`).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.responses import Response

from lookout.api.ohdear.errors import error_response

WINDOW_SECONDS = 60


class WindowStore(Protocol):
    async def hit(self, key: str, seconds: int) -> tuple[int, float]:
        """Count one request against `key`: (requests in its window so far, window end as unix time)."""
        ...

    async def aclose(self) -> None: ...


class MemoryWindows:
    """Counts in this process: several API processes would each count on their own."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._prune_above = 10_000

    async def hit(self, key: str, seconds: int) -> tuple[int, float]:
        now = self._clock()
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            if len(self._windows) >= self._prune_above:
                self._prune(now)
            ends, count = now + seconds, 0
        count += 1
        self._windows[key] = (ends, count)
        return count, ends

    async def aclose(self) -> None:
        return None

    def _prune(self, now: float) -> None:
        self._windows = {key: entry for key, entry in self._windows.items() if entry[0] > now}
        # The next prune waits until the table has doubled, so a flood of new keys (one per
        # address) costs a constant amount per request rather than a scan each.
        self._prune_above = max(10_000, 2 * len(self._windows))


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    used: int
    ends: float

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def headers(self) -> list[tuple[bytes, bytes]]:
        """What every answer under /api carries (the 429 too)."""
        remaining = max(self.limit - self.used, 0)
        return [(b"x-ratelimit-limit", b"%d" % self.limit), (b"x-ratelimit-remaining", b"%d" % remaining)]

    def too_many(self) -> Response:
        retry_after = max(1, math.ceil(self.ends - time.time()))
        reset = {"Retry-After": str(retry_after), "X-RateLimit-Reset": str(math.ceil(self.ends))}
        return error_response(429, "Too Many Attempts.", reset)


class RateLimiter:
    def __init__(self, per_token: int, per_address: int, windows: WindowStore | None = None) -> None:
        self.per_token = per_token
        self.per_address = per_address
        self.windows: WindowStore = windows or MemoryWindows()

    async def hit(self, token_id: int | None, client: tuple[str, int] | None) -> Window:
        """Count one request of a token (its id) or, without one, of the client address."""
        if token_id is not None:
            key, limit = f"token:{token_id}", self.per_token
        else:
            key, limit = f"address:{address_key(client)}", self.per_address
        used, ends = await self.windows.hit(key, WINDOW_SECONDS)
        return Window(limit, used, ends)


def address_key(client: tuple[str, int] | None) -> str:
    """The client's address; IPv6 by its /64, which one host usually holds whole."""
    host = client[0] if client else "?"
    if ":" not in host:
        return host
    try:
        return str(ipaddress.IPv6Network((host, 64), strict=False))
    except ValueError:
        return host
