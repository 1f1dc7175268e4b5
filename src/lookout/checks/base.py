"""The one signature every check has, and what the runner hands it.

A check observes and returns a `CheckResult`; it never raises for a target's fault
(timeouts, refused connections, bad certificates and garbage bodies are results). The
runner owns the timeout, timing, crash handling and persistence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol

from lookout.model.check_settings import SettingsModel
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult
from lookout.net.http import HttpClient

if TYPE_CHECKING:
    from lookout.net.guard import TargetGuard
    from lookout.net.resolve import Resolver

HttpClientFactory = Callable[["TargetGuard"], HttpClient]
"""Builds the HTTP client for one check run. The default makes a fresh libcurl multi per
run; the composition root should pass `lambda guard: HttpClient(guard, driver=driver)` with
one `CurlDriver` per event loop (and `ca_file=` when it trusts a private CA)."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a check looks at: the monitor's url and, optionally, an address to dial.

    `connect_ip` makes an HTTP check connect to that address while still sending the url's
    host name in the Host header and TLS SNI (DNSPod monitors check each IP of a record).
    """

    monitor_id: int
    monitor_type: MonitorType
    url: str
    connect_ip: str | None = None


@dataclass(frozen=True, slots=True)
class CheckContext:
    resolver: Resolver
    guard: TargetGuard
    clock: Callable[[], datetime]
    location: str = "local"
    http_client: HttpClientFactory = HttpClient


class Check(Protocol):
    type: ClassVar[CheckType]

    async def run(self, target: Target, settings: SettingsModel, ctx: CheckContext) -> CheckResult:
        """Observe the target once and say what was seen."""
        ...
