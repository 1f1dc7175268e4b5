from typing import Any

import icmplib
import pytest

from lookout.net import icmp
from lookout.net.icmp import IcmpUnavailableError, ping


async def test_ping_loopback() -> None:
    stats = await ping("127.0.0.1", count=3, interval_s=0.01, timeout_s=1, ttl=64, payload_size=56)
    assert (stats.sent, stats.received, stats.loss_percentage) == (3, 3, 0)
    assert 0 < stats.min_ms <= stats.avg_ms <= stats.max_ms < 100


async def test_falls_back_to_unprivileged_then_gives_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[bool] = []

    async def refuse(address: str, **kwargs: Any) -> icmplib.Host:
        tried.append(kwargs["privileged"])
        raise icmplib.SocketPermissionError(kwargs["privileged"])

    monkeypatch.setattr(icmp.icmplib, "async_ping", refuse)
    monkeypatch.setattr(icmp.os, "geteuid", lambda: 0)
    with pytest.raises(IcmpUnavailableError, match="ping_group_range"):
        await ping("127.0.0.1", count=1, interval_s=0.01, timeout_s=1, ttl=64, payload_size=8)
    assert tried == [True, False]
