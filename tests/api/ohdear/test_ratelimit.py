"""Rate limit windows: in this process, and in Redis shared by several API processes."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from lookout.api.ohdear.ratelimit import MemoryWindows, RateLimiter, address_key
from lookout.api.ohdear.ratelimit_redis import RedisWindows
from lookout.app import Store, build_services, create_app
from lookout.settings import Settings
from tests.conftest import REDIS_URL, forget_redis_keys, need_service


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.5

    def __call__(self) -> float:
        return self.now


async def test_a_window_opens_at_the_first_request_and_lasts_a_minute() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    assert await windows.hit("k", 60) == (1, clock.now + 60)
    clock.now += 59.9
    assert await windows.hit("k", 60) == (2, 1_000_060.5)
    clock.now += 0.1
    assert await windows.hit("k", 60) == (1, 1_000_120.5)


class CountingPrunes(MemoryWindows):
    prunes = 0

    def _prune(self, now: float) -> None:
        self.prunes += 1
        super()._prune(now)


async def test_expired_windows_are_pruned_without_a_scan_per_request() -> None:
    clock = Clock()
    windows = CountingPrunes(clock)
    for index in range(10_000):
        await windows.hit(f"old-{index}", 60)
    clock.now += 61
    await windows.hit("new", 60)
    assert windows.prunes == 1 and len(windows._windows) == 1
    # 30,000 new keys all in their window: a prune at 10,000 and at 20,000 keys, not at each.
    for index in range(30_000):
        await windows.hit(f"live-{index}", 60)
    assert windows.prunes == 3 and len(windows._windows) == 30_001


async def test_the_budget_is_per_token_or_per_address() -> None:
    limiter = RateLimiter(per_token=5, per_address=2)
    assert (await limiter.hit(7, ("10.0.0.1", 1))).limit == 5
    first = await limiter.hit(None, ("10.0.0.1", 1))
    again = await limiter.hit(None, ("10.0.0.1", 2))
    other = await limiter.hit(None, ("10.0.0.2", 1))
    assert (first.used, again.used, other.used) == (1, 2, 1)
    assert first.limit == 2 and not again.exceeded
    assert (await limiter.hit(None, ("10.0.0.1", 3))).exceeded


def test_ipv6_clients_are_counted_by_their_64() -> None:
    assert address_key(("2001:db8:1:2:aaaa::1", 1)) == address_key(("2001:db8:1:2:bbbb::9", 1))
    assert address_key(("2001:db8:1:2::1", 1)) != address_key(("2001:db8:1:3::1", 1))
    assert address_key(("192.0.2.7", 1)) == "192.0.2.7"
    assert address_key(None) == "?"


async def test_an_unreachable_redis_leaves_the_counting_to_this_process() -> None:
    windows = RedisWindows("redis://127.0.0.1:1/0")
    started = time.monotonic()
    assert [(await windows.hit("k", 60))[0] for _ in range(3)] == [1, 2, 3]
    assert time.monotonic() - started < 2
    await windows.aclose()


@pytest.fixture
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"lookout-test:{uuid.uuid4().hex}:"
    yield prefix
    forget_redis_keys(f"{prefix}*", redis_url)


@pytest.mark.redis
async def test_redis_windows_are_shared_between_processes(redis_url: str, prefix: str) -> None:
    one, two = RedisWindows(redis_url, prefix), RedisWindows(redis_url, prefix)
    before = time.time()
    assert (await one.hit("k", 60))[0] == 1
    assert (await two.hit("k", 60))[0] == 2
    used, ends = await one.hit("k", 60)
    assert used == 3 and before + 58 < ends <= time.time() + 60
    assert (await two.hit("other", 60))[0] == 1
    await one.aclose()
    await two.aclose()


@pytest.fixture
def shared_token(store: Store, redis_url: str) -> Iterator[tuple[str, int]]:
    issued = build_services(store).tokens.create(f"shared-{uuid.uuid4().hex[:6]}@example.test", "shared")
    # Token ids repeat across the test databases; a window left by an earlier run must go.
    client = redis.Redis.from_url(redis_url)
    client.delete(f"lookout:ratelimit:token:{issued.id}")
    yield issued.token, issued.id
    client.delete(f"lookout:ratelimit:token:{issued.id}")
    client.close()


@pytest.mark.redis
def test_api_processes_sharing_redis_share_a_token_budget(
    store: Store, redis_url: str, shared_token: tuple[str, int]
) -> None:
    settings = Settings(
        database_url=str(store.engine.url),
        run_engine=False,
        run_outbox=False,
        run_failover=False,
        rate_limit_per_minute=3,
        redis_url=redis_url,
    )
    headers = {"Authorization": f"Bearer {shared_token[0]}"}
    with TestClient(create_app(settings, store)) as first, TestClient(create_app(settings, store)) as second:
        seen = [first.get("/api/me", headers=headers), second.get("/api/me", headers=headers)]
        seen += [first.get("/api/me", headers=headers), second.get("/api/me", headers=headers)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in seen] == ["2", "1", "0", "0"]
    assert 1 <= int(seen[3].headers["retry-after"]) <= 60
    assert time.time() < int(seen[3].headers["x-ratelimit-reset"]) <= time.time() + 61
