"""Uptime of a ping monitor: ICMP echo, judged on packet loss and average round trip."""

from __future__ import annotations

from lookout.checks.base import CheckContext, Target
from lookout.checks.results import down, finish
from lookout.checks.uptime.details import PingUptimeDetails
from lookout.errors import LookoutError
from lookout.model.check_settings import PingUptimeSettings
from lookout.model.monitor import target_host
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.net.guard import TargetRefused
from lookout.net.icmp import IcmpUnavailableError, PingStats, ping


def judge(stats: PingStats, settings: PingUptimeSettings) -> tuple[Outcome, str]:
    loss = stats.loss_percentage
    if stats.received == 0:
        return Outcome.FAILED, "Down: 100% packet loss"
    if loss > settings.acceptable_packet_loss_percentage:
        return Outcome.FAILED, (
            f"Down: {loss:g}% packet loss, acceptable {settings.acceptable_packet_loss_percentage}%"
        )
    if stats.avg_ms > settings.acceptable_average_response_time_in_ms:
        return Outcome.FAILED, (
            f"Down: avg {stats.avg_ms:.2f} ms, acceptable "
            f"{settings.acceptable_average_response_time_in_ms} ms"
        )
    return Outcome.SUCCEEDED, f"Up: {stats.received}/{stats.sent} replies, avg {stats.avg_ms:.2f} ms"


async def check_ping(target: Target, settings: PingUptimeSettings, ctx: CheckContext) -> CheckResult:
    started_at = ctx.clock()
    host = target.connect_ip or target_host(target.url, target.monitor_type)
    try:
        addresses = await ctx.guard.check(host)
    except TargetRefused as exc:
        return down(ctx, started_at, f"target refused: {exc.reason}")
    except LookoutError as exc:  # ResolveError
        return down(ctx, started_at, str(exc))
    try:
        stats = await ping(
            addresses[0],
            count=settings.count,
            interval_s=settings.interval_in_seconds,
            timeout_s=settings.timeout_in_seconds,
            ttl=settings.ttl,
            payload_size=settings.packet_size_in_bytes,
        )
    except IcmpUnavailableError as exc:
        return finish(ctx, started_at, Outcome.ERRORED, f"Could not ping: {exc}")
    outcome, summary = judge(stats, settings)
    details: PingUptimeDetails = {
        "address": addresses[0],
        "packets_sent": stats.sent,
        "packets_received": stats.received,
        "packet_loss_percentage": stats.loss_percentage,
        "min_rtt_ms": stats.min_ms,
        "avg_rtt_ms": stats.avg_ms,
        "max_rtt_ms": stats.max_ms,
    }
    timings = Timings(total_ms=stats.avg_ms) if stats.received else Timings()
    return finish(ctx, started_at, outcome, summary, timings=timings, details=details)
