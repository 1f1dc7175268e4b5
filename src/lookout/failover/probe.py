"""Is an IP serving a D-Monitor's site? One HTTP(S) request to that IP with the monitor's
host as Host header and SNI, through the target guard (the client guards the IP it dials).

Failover asks this of backup IPs before it serves one, and of the original IP before it
switches back: the check engine watches only the record's own IP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lookout.net.http import HttpClient, HttpRequest, TransportError


@dataclass(frozen=True, slots=True)
class Site:
    """What a D-Monitor asks of an IP: `monitor_type://host:port/path`."""

    host: str
    port: int
    monitor_type: str
    path: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        path = self.path if self.path.startswith("/") else "/" + self.path
        return f"{self.monitor_type}://{host}:{self.port}{path}"


class Prober:
    def __init__(self, http_client: Callable[[], HttpClient], timeout_s: float = 5.0) -> None:
        self._http_client = http_client
        self._timeout_s = timeout_s

    async def up(self, site: Site, ip: str) -> bool:
        """An answer below 500 is up (a 4xx is DNSPod's Warn, still serving); no answer or a
        5xx is down, as the D-Monitor's own check judges it."""
        request = HttpRequest(url=site.url, timeout_s=self._timeout_s, connect_ip=ip, body_limit=4096)
        try:
            response = await self._http_client().fetch(request)
        except TransportError:
            return False
        return response.status < 500

    async def many(self, site: Site, ips: Iterable[str]) -> dict[str, bool]:
        wanted = list(dict.fromkeys(ips))
        answers = await asyncio.gather(*(self.up(site, ip) for ip in wanted))
        return dict(zip(wanted, answers, strict=True))
