"""The contract every check type implements, and what the runner hands it.

A check type is one class that declares, next to its `run`, everything the engine needs to
know about it: its settings model, its schedule, its time budget, the pool it runs in,
whether it records uptime and downtime, and the shape of its details and findings. The
engine reads these declarations and never a check type's name.

A check observes and returns a `CheckResult`; it never raises for a target's fault
(timeouts, refused connections, bad certificates and garbage bodies are results). The
runner owns the timeout, timing, crash handling and persistence; the evaluator judges.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from lookout.model.check_settings import SettingsModel
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.dns_blocklists import Blocklist
from lookout.model.findings import DiffKind
from lookout.model.result import CheckResult
from lookout.net.http import HttpClient

if TYPE_CHECKING:
    from lookout.model.cron import TaskSource
    from lookout.model.monitor import MonitorOptionSource
    from lookout.net.chat import ChatClient
    from lookout.net.dns import DnsClient
    from lookout.net.guard import TargetGuard
    from lookout.net.lighthouse import LighthouseRunner
    from lookout.net.rdap import RdapClient
    from lookout.net.resolve import Resolver
    from lookout.net.tls import TlsInspector
    from lookout.net.whois import WhoisClient

HttpClientFactory = Callable[["TargetGuard"], HttpClient]
"""Builds the HTTP client for one check run. The default makes a fresh libcurl multi per
run; the composition root passes `lambda guard: HttpClient(guard, driver=driver)` with one
`CurlDriver` per event loop (and `ca_file=` when it trusts a private CA)."""

S = TypeVar("S", bound=SettingsModel)


class SnoozeSource(Protocol):
    """The snoozes of subjects a check reports on by name (an app's health checks)."""

    async def snoozed_until(
        self, monitor_id: int, names: Sequence[str], at: datetime
    ) -> Mapping[str, datetime]:
        """Name -> end of its snooze, for the named subjects snoozed at `at`."""
        ...


class Pool(StrEnum):
    """Runner pools, each with its own concurrency, so long jobs never starve short ones."""

    FAST = "fast"  # one request or a handful of packets: seconds
    CRAWL = "crawl"  # many requests to one site: minutes
    BROWSER = "browser"  # a headless browser: heavy, few at once


@dataclass(frozen=True, slots=True)
class Target:
    """What a check looks at: the monitor's url and, optionally, an address to dial.

    `connect_ip` makes a check connect to that address while still sending the url's host
    name in the Host header and TLS SNI (DNSPod monitors check each IP of a record).
    """

    monitor_id: int
    monitor_type: MonitorType
    url: str
    connect_ip: str | None = None


@dataclass(frozen=True, slots=True)
class CheckContext:
    """The seams a check does its I/O through; built once by the composition root.

    Every client here passes each address through `guard` before dialling it, so a check
    that only uses these never needs to call the guard itself.
    """

    resolver: Resolver
    guard: TargetGuard
    clock: Callable[[], datetime]
    location: str = "local"
    http_client: HttpClientFactory = HttpClient
    dns: DnsClient | None = None
    tls: TlsInspector | None = None
    # The port nameservers named in a zone's NS records are asked at (53; tests: loopback).
    dns_authoritative_port: int = 53
    # The DNS blocklists to look addresses up in; None: the built-in list.
    dns_blocklists: tuple[Blocklist, ...] | None = None
    # Registration data (domain check): RDAP first, WHOIS for TLDs without it; shared
    # clients, they cache the RDAP bootstrap file and WHOIS referrals.
    rdap: RdapClient | None = None
    whois: WhoisClient | None = None
    # Scheduled tasks and their pings (the cron check reads them; the engine supplies it).
    cron_tasks: TaskSource | None = None
    # Monitor-level options (crawler headers); the engine supplies it.
    monitor_options: MonitorOptionSource | None = None
    # Snoozes of an app's health checks (the application health check reads them to say
    # when its failure is only snoozed ones); the composition root supplies it.
    health_snoozes: SnoozeSource | None = None
    # The operator's language model (LOOKOUT_AI_URL) the AI check asks; None: not configured.
    ai: ChatClient | None = None
    # Lighthouse audits (Node.js, the lighthouse package, Chromium); None: not installed here.
    lighthouse: LighthouseRunner | None = None


@dataclass(frozen=True, slots=True)
class FindingsSpec:
    """What a check's findings are and which differences from the last run are news.

    `noun` names one finding in a person's words ("broken link"); `events_on` says which
    kinds of difference make a `changed` state change (DNS records: any; broken links:
    new ones); an empty set keeps the findings without telling anyone.
    """

    noun: str
    events_on: frozenset[DiffKind] = field(default_factory=lambda: frozenset(DiffKind))
    # Kinds of difference that also make a succeeded run a warning (a DNS record changed):
    # the writer sets the run's outcome and adds the before/after payloads to its details
    # (`findings_changes`), since only it knows what the last run found.
    warns_on: frozenset[DiffKind] = field(default_factory=frozenset)
    # False where nothing reads a resolved finding (a crawl's broken link fixed a month
    # ago: the API shows the latest crawl): the retention sweep deletes them after the
    # run retention. True where they are history someone reads (certificates seen).
    keep_resolved: bool = True


class Check(ABC, Generic[S]):
    """A check type the runner runs on a schedule (or on request)."""

    type: ClassVar[CheckType]
    pool: ClassVar[Pool] = Pool.FAST
    # False for an event-driven check (cron heartbeats): it runs only when asked.
    scheduled: ClassVar[bool] = True
    # Hourly and daily rollups (the uptime and metrics APIs read them) and downtime periods.
    records_uptime: ClassVar[bool] = False
    records_downtime: ClassVar[bool] = False
    # True when `run` needs nothing but the context built from the settings (no source the
    # engine supplies, no file of its process): it may run in a check process
    # (engine/check_processes.py).
    portable: ClassVar[bool] = False
    # The TypedDict (or other type) of `CheckResult.details`, for readers and docs.
    details: ClassVar[builtins.type] = dict
    findings: ClassVar[FindingsSpec | None] = None

    @abstractmethod
    def settings_model(self, monitor_type: MonitorType) -> builtins.type[S]:
        """The pydantic model of this check's settings on a monitor of `monitor_type`."""

    def interval(self, settings: S) -> float | None:
        """Seconds between scheduled runs; None for a check that runs only when asked or
        when an event arrives (cron heartbeats). Every check with an interval also runs
        once as soon as it is enabled."""
        seconds = getattr(settings, "check_interval_in_seconds", None)
        return None if seconds is None else float(seconds)

    @abstractmethod
    def time_budget(self, settings: S) -> float:
        """Seconds the whole run may take; the runner cuts it at this plus a margin."""

    def failure_threshold(self, settings: S) -> int:
        """Failed runs in a row before the check is down."""
        return 1

    @abstractmethod
    async def run(self, target: Target, settings: S, ctx: CheckContext) -> CheckResult:
        """Observe the target once and say what was seen."""


class DerivedCheck(ABC, Generic[S]):
    """A check judged from another check's result, with no I/O of its own (performance is
    judged from the uptime request's timings). It is never scheduled."""

    type: ClassVar[CheckType]
    source: ClassVar[CheckType]
    records_uptime: ClassVar[bool] = False
    records_downtime: ClassVar[bool] = False
    details: ClassVar[builtins.type] = dict
    # Wants the average total time of its own recent runs (None when there is none).
    wants_recent_average: ClassVar[bool] = False

    @abstractmethod
    def settings_model(self, monitor_type: MonitorType) -> builtins.type[S]: ...

    @abstractmethod
    def judge(self, source: CheckResult, settings: S, recent_average_ms: float | None) -> CheckResult | None:
        """This check's result from the source's, or None when there is nothing to judge."""


AnyCheck = Check[Any] | DerivedCheck[Any]
Registry = Mapping[CheckType, AnyCheck]
