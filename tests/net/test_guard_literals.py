"""The guard judges each IP literal once; its verdicts match the uncached ones."""

from __future__ import annotations

import pytest

from lookout.net.guard import TargetGuard, TargetRefused
from lookout.net.resolve import Resolver


class CountingResolver(Resolver):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def resolve(self, host: str) -> list[str]:
        self.calls += 1
        return ["93.184.216.34"] if host == "example.test" else await super().resolve(host)


async def test_a_literal_is_judged_once_and_never_resolved() -> None:
    resolver = CountingResolver()
    guard = TargetGuard(resolver, allow_private=True)
    assert await guard.check("127.0.0.1") == ["127.0.0.1"]
    assert await guard.check("127.0.0.1") == ["127.0.0.1"]
    assert await guard.check("[::1]") == ["::1"]
    assert resolver.calls == 0


async def test_refusals_of_literals_are_remembered_too() -> None:
    guard = TargetGuard(Resolver(), allow_private=True)
    for _ in range(2):
        with pytest.raises(TargetRefused, match="cloud metadata"):
            await guard.check("169.254.169.254")


async def test_names_are_resolved_every_time() -> None:
    resolver = CountingResolver()
    guard = TargetGuard(resolver, allow_private=False)
    assert await guard.check("example.test") == ["93.184.216.34"]
    assert await guard.check("example.test") == ["93.184.216.34"]
    assert resolver.calls == 2


async def test_changing_allow_private_forgets_the_verdicts() -> None:
    guard = TargetGuard(Resolver(), allow_private=True)
    assert await guard.check("10.0.0.1") == ["10.0.0.1"]
    guard.allow_private = False
    with pytest.raises(TargetRefused, match="private"):
        await guard.check("10.0.0.1")
