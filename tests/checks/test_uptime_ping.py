from typing import Any

import pytest

from lookout.checks.base import CheckContext, Target
from lookout.checks.registry import CHECKS
from lookout.checks.uptime import ping as ping_check
from lookout.checks.uptime.ping import judge
from lookout.model.check_settings import PingUptimeSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.icmp import IcmpUnavailableError, PingStats


async def run(host: str, ctx: CheckContext, **settings: Any) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.PING, url=host)
    return await CHECKS[CheckType.UPTIME].run(target, PingUptimeSettings(**settings), ctx)


async def test_ping_loopback(ctx: CheckContext) -> None:
    result = await run("127.0.0.1", ctx, count=3, interval_in_seconds=0.01)
    assert result.outcome is Outcome.SUCCEEDED
    assert result.summary.startswith("Up: 3/3 replies, avg ")
    assert result.details["packets_sent"] == 3
    assert result.details["packet_loss_percentage"] == 0
    assert result.timings.total_ms == result.details["avg_rtt_ms"]


async def test_guard_and_dns_failures(ctx: CheckContext) -> None:
    assert (await run("nope.test", ctx)).summary == "Down: could not resolve nope.test (no such domain)"
    refused = await run("169.254.169.254", ctx)
    assert refused.summary == "Down: target refused: 169.254.169.254 is a cloud metadata address"


async def test_no_icmp_permission_is_an_error_not_an_outage(
    ctx: CheckContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(*args: Any, **kwargs: Any) -> PingStats:
        raise IcmpUnavailableError("this host may not send pings")

    monkeypatch.setattr(ping_check, "ping", unavailable)
    result = await run("127.0.0.1", ctx)
    assert (result.outcome, result.summary) == (
        Outcome.ERRORED,
        "Could not ping: this host may not send pings",
    )


JUDGEMENTS = [
    (PingStats(5, 5, 0.1, 0.2, 0.3), {}, Outcome.SUCCEEDED, "Up: 5/5 replies, avg 0.20 ms"),
    (PingStats(5, 0, 0, 0, 0), {}, Outcome.FAILED, "Down: 100% packet loss"),
    (PingStats(5, 3, 1, 1, 1), {}, Outcome.FAILED, "Down: 40% packet loss, acceptable 0%"),
    (PingStats(5, 3, 1, 1, 1), {"acceptable_packet_loss_percentage": 40}, Outcome.SUCCEEDED, None),
    (
        PingStats(5, 5, 300, 512.25, 700),
        {"acceptable_average_response_time_in_ms": 400},
        Outcome.FAILED,
        "Down: avg 512.25 ms, acceptable 400 ms",
    ),
]


@pytest.mark.parametrize(("stats", "settings", "outcome", "summary"), JUDGEMENTS)
def test_judge(stats: PingStats, settings: dict[str, Any], outcome: Outcome, summary: str | None) -> None:
    got_outcome, got_summary = judge(stats, PingUptimeSettings(**settings))
    assert got_outcome is outcome
    if summary is not None:
        assert got_summary == summary
