"""Is an IP serving a D-Monitor's site? One HTTP(S) request to that IP with the monitor's
host as Host header and SNI, through the target guard (the client guards the IP it dials).

Failover asks this of backup IPs before it serves one, and of the original IP before it
switches back: the check engine watches only the record's own IP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lookout.net.http import ErrorKind, HttpClient, HttpRequest, TransportError

# DNSPod's negative status codes (apis.md D5).
_TRANSPORT_CODES = {
    ErrorKind.REFUSED: -1,
    ErrorKind.DNS: -2,
    ErrorKind.TIMEOUT: -3,
    ErrorKind.TLS: -4,
}


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


@dataclass(frozen=True, slots=True)
class Probe:
    status: str  # Ok, Warn or Down
    status_code: int  # the HTTP status, or DNSPod's negative transport code

    @property
    def up(self) -> bool:
        return self.status != "Down"


class Prober:
    def __init__(self, http_client: Callable[[], HttpClient], timeout_s: float = 5.0) -> None:
        self._http_client = http_client
        self._timeout_s = timeout_s

    async def probe(self, site: Site, ip: str) -> Probe:
        """DNSPod's verdict on one answer: below 400 `Ok`, a 4xx `Warn` (still serving), a
        5xx or no answer `Down`, as the D-Monitor's own check judges it."""
        request = HttpRequest(url=site.url, timeout_s=self._timeout_s, connect_ip=ip, body_limit=4096)
        try:
            response = await self._http_client().fetch(request)
        except TransportError as exc:
            return Probe("Down", _TRANSPORT_CODES.get(exc.kind, -5))
        if response.status >= 500:
            return Probe("Down", response.status)
        return Probe("Warn" if response.status >= 400 else "Ok", response.status)

    async def up(self, site: Site, ip: str) -> bool:
        return (await self.probe(site, ip)).up

    async def many(self, site: Site, ips: Iterable[str]) -> dict[str, bool]:
        return {ip: probe.up for ip, probe in (await self.many_probes(site, ips)).items()}

    async def many_probes(self, site: Site, ips: Iterable[str]) -> dict[str, Probe]:
        wanted = list(dict.fromkeys(ips))
        answers = await asyncio.gather(*(self.probe(site, ip) for ip in wanted))
        return dict(zip(wanted, answers, strict=True))
