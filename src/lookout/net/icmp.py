"""ICMP echo through icmplib: raw sockets as root, else the kernel's unprivileged ones."""

from __future__ import annotations

import os
from dataclasses import dataclass

import icmplib

from lookout.errors import LookoutError


class IcmpUnavailableError(LookoutError):
    """This host cannot send pings at all; the message says what to change."""


@dataclass(frozen=True, slots=True)
class PingStats:
    sent: int
    received: int
    min_ms: float
    avg_ms: float
    max_ms: float

    @property
    def loss_percentage(self) -> float:
        return 100.0 if self.sent == 0 else round(100 * (self.sent - self.received) / self.sent, 2)


async def ping(
    ip: str,
    *,
    count: int,
    interval_s: float,
    timeout_s: float,
    ttl: int,
    payload_size: int,
) -> PingStats:
    """Send `count` echo requests to `ip` (an address, never a name: we resolve ourselves)."""
    # Unprivileged ICMP needs the process's group inside net.ipv4.ping_group_range.
    modes = [True, False] if os.geteuid() == 0 else [False]
    for privileged in modes:
        try:
            host = await icmplib.async_ping(
                ip,
                count=count,
                interval=interval_s,
                timeout=timeout_s,
                privileged=privileged,
                ttl=ttl,
                payload_size=payload_size,
            )
        except icmplib.SocketPermissionError:
            continue
        return PingStats(
            sent=host.packets_sent,
            received=host.packets_received,
            min_ms=host.min_rtt,
            avg_ms=host.avg_rtt,
            max_ms=host.max_rtt,
        )
    raise IcmpUnavailableError(
        "this host may not send pings: run Lookout as root, give it CAP_NET_RAW, or add its "
        "group to the net.ipv4.ping_group_range sysctl"
    )
