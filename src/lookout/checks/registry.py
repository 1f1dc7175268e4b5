"""CHECKS: the only map from a check type to its implementation, checked at import.

Adding a check type is one module and one line here. `validate` asserts that every entry
declares what the engine needs — a settings model whose defaults validate for every
monitor type that carries the check, a positive time budget, an interval or none, a pool —
so a mistake fails at import, not in the engine at three in the morning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lookout.checks.ai import AiCheck
from lookout.checks.application_health import ApplicationHealthCheck
from lookout.checks.base import AnyCheck, Check, DerivedCheck, FindingsSpec, Pool
from lookout.checks.broken_links import BrokenLinksCheck
from lookout.checks.certificate_health import CertificateHealthCheck
from lookout.checks.cron import CronCheck
from lookout.checks.dns import DnsCheck
from lookout.checks.dns_blocklist import DnsBlocklistCheck
from lookout.checks.domain import DomainCheck
from lookout.checks.lighthouse import LighthouseCheck
from lookout.checks.mixed_content import MixedContentCheck
from lookout.checks.performance import PerformanceCheck
from lookout.checks.ports import PortsCheck
from lookout.checks.sitemap import SitemapCheck
from lookout.checks.uptime import UptimeCheck
from lookout.model.check_settings import SettingsModel
from lookout.model.check_type import CHECKS_BY_MONITOR_TYPE, CheckType, MonitorType


class RegistryError(AssertionError):
    """A check type's declarations are incomplete or inconsistent."""


def monitor_types_of(check_type: CheckType) -> list[MonitorType]:
    return [mt for mt, types in CHECKS_BY_MONITOR_TYPE.items() if check_type in types]


def validate(checks: Mapping[CheckType, AnyCheck]) -> None:
    for check_type, check in checks.items():
        where = f"check type {check_type.value!r}"
        if getattr(check, "type", None) is not check_type:
            raise RegistryError(f"{where}: registered under another type than it declares")
        for monitor_type in monitor_types_of(check_type) or list(MonitorType):
            model = check.settings_model(monitor_type)
            if not (isinstance(model, type) and issubclass(model, SettingsModel)):
                raise RegistryError(f"{where}: settings model for {monitor_type} is not a SettingsModel")
            defaults = model()
            if isinstance(check, DerivedCheck):
                if check.source not in checks or not isinstance(checks[check.source], Check):
                    raise RegistryError(
                        f"{where}: derived from {check.source!r}, which is not a runnable check"
                    )
                continue
            if not isinstance(check, Check):
                raise RegistryError(f"{where}: neither a Check nor a DerivedCheck")
            if not check.time_budget(defaults) > 0:
                raise RegistryError(f"{where}: no positive time budget")
            interval = check.interval(defaults)
            if check.scheduled != (interval is not None):
                raise RegistryError(f"{where}: scheduled checks need an interval, event-driven ones none")
            if interval is not None and not interval > 0:
                raise RegistryError(f"{where}: interval must be positive")
            if check.failure_threshold(defaults) < 1:
                raise RegistryError(f"{where}: failure threshold below 1")
        if isinstance(check, Check):
            if not isinstance(check.pool, Pool):
                raise RegistryError(f"{where}: pool {check.pool!r} is not a Pool")
            if check.findings is not None and not isinstance(check.findings, FindingsSpec):
                raise RegistryError(f"{where}: findings must be a FindingsSpec")


def runnable(checks: Mapping[CheckType, AnyCheck]) -> dict[CheckType, Check[Any]]:
    return {t: c for t, c in checks.items() if isinstance(c, Check)}


CHECKS: dict[CheckType, AnyCheck] = {
    CheckType.UPTIME: UptimeCheck(),
    CheckType.PERFORMANCE: PerformanceCheck(),
    CheckType.DNS: DnsCheck(),
    CheckType.PORTS: PortsCheck(),
    CheckType.DNS_BLOCKLIST: DnsBlocklistCheck(),
    CheckType.CERTIFICATE_HEALTH: CertificateHealthCheck(),
    CheckType.DOMAIN: DomainCheck(),
    CheckType.APPLICATION_HEALTH: ApplicationHealthCheck(),
    CheckType.BROKEN_LINKS: BrokenLinksCheck(),
    CheckType.MIXED_CONTENT: MixedContentCheck(),
    CheckType.SITEMAP: SitemapCheck(),
    CheckType.CRON: CronCheck(),
    CheckType.AI: AiCheck(),
    CheckType.LIGHTHOUSE: LighthouseCheck(),
}

validate(CHECKS)
