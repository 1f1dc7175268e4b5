"""Rate limit windows in Redis, so that every API process counts against one budget per key."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from lookout.api.ohdear.ratelimit import MemoryWindows, WindowStore

log = logging.getLogger(__name__)

# A Redis that fails is left alone this long (counts stay in this process meanwhile), so
# that requests do not each wait on it; the timeout bounds the wait of the one that finds out.
_PAUSE_SECONDS = 5.0
_TIMEOUT_SECONDS = 0.5


class RedisWindows:
    def __init__(
        self, url: str, prefix: str = "lookout:ratelimit:", fallback: WindowStore | None = None
    ) -> None:
        self._redis = Redis.from_url(
            url, socket_timeout=_TIMEOUT_SECONDS, socket_connect_timeout=_TIMEOUT_SECONDS
        )
        self._prefix = prefix
        self._fallback = fallback or MemoryWindows()
        self._paused_until = 0.0

    async def hit(self, key: str, seconds: int) -> tuple[int, float]:
        now = time.time()
        if now >= self._paused_until:
            try:
                return await self._hit(self._prefix + key, seconds, now)
            except (RedisError, OSError) as exc:
                self._paused_until = now + _PAUSE_SECONDS
                log.warning(
                    "rate limits count in this process for %.0f s: Redis failed: %s", _PAUSE_SECONDS, exc
                )
        return await self._fallback.hit(key, seconds)

    async def _hit(self, name: str, seconds: int, now: float) -> tuple[int, float]:
        # One round trip: open the window (with its expiry) unless it is open, count, and ask
        # how long it has left; the expiry is Redis's, so the processes' clocks do not matter.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=seconds, nx=True)
            pipe.incr(name)
            pipe.pttl(name)
            _, count, left_ms = await pipe.execute()
        if left_ms < 0:  # a key without an expiry, which we never make: give it one
            await self._redis.expire(name, seconds)
            left_ms = seconds * 1000
        return int(count), now + left_ms / 1000

    async def aclose(self) -> None:
        # The connections go; the client makes new ones if it is used again (in another loop).
        await self._redis.connection_pool.disconnect()
        await self._fallback.aclose()
