"""The shape of an uptime run's `details`, per monitor type (what the run's readers get)."""

from __future__ import annotations

from typing import TypedDict


class HttpUptimeDetails(TypedDict, total=False):
    status_code: int
    final_url: str
    redirect_count: int
    remote_ip: str
    body_truncated: bool
    problems: list[str]
    # When no response came: what went wrong and where.
    error_kind: str
    url: str


class PingUptimeDetails(TypedDict, total=False):
    address: str
    packets_sent: int
    packets_received: int
    packet_loss_percentage: float
    min_rtt_ms: float
    avg_rtt_ms: float
    max_rtt_ms: float


class TcpUptimeDetails(TypedDict, total=False):
    port: int


class UptimeDetails(HttpUptimeDetails, PingUptimeDetails, TcpUptimeDetails, total=False):
    """Any of the three; which keys appear depends on the monitor type."""
