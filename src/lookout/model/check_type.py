"""Monitor types, check types, and which checks each monitor type carries."""

from __future__ import annotations

from enum import StrEnum


class MonitorType(StrEnum):
    HTTP = "http"
    PING = "ping"
    TCP = "tcp"
    AI = "ai"


class CheckType(StrEnum):
    """The 14 Oh Dear check types; values are the wire strings."""

    UPTIME = "uptime"
    PERFORMANCE = "performance"
    CERTIFICATE_HEALTH = "certificate_health"
    BROKEN_LINKS = "broken_links"
    MIXED_CONTENT = "mixed_content"
    LIGHTHOUSE = "lighthouse"
    CRON = "cron"
    APPLICATION_HEALTH = "application_health"
    SITEMAP = "sitemap"
    DNS = "dns"
    DOMAIN = "domain"
    AI = "ai"
    PORTS = "ports"
    DNS_BLOCKLIST = "dns_blocklist"


class CheckResultValue(StrEnum):
    """What a check's latest run says (Oh Dear `latest_run_result`)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    WARNING = "warning"
    FAILED = "failed"
    ERRORED = "errored-or-timed-out"


CHECK_LABELS: dict[CheckType, str] = {
    CheckType.UPTIME: "Uptime",
    CheckType.PERFORMANCE: "Performance",
    CheckType.CERTIFICATE_HEALTH: "Certificate health",
    CheckType.BROKEN_LINKS: "Broken links",
    CheckType.MIXED_CONTENT: "Mixed content",
    CheckType.LIGHTHOUSE: "Lighthouse",
    CheckType.CRON: "Scheduled tasks",
    CheckType.APPLICATION_HEALTH: "Application health",
    CheckType.SITEMAP: "Sitemap",
    CheckType.DNS: "DNS",
    CheckType.DOMAIN: "Domain",
    CheckType.AI: "AI",
    CheckType.PORTS: "Ports",
    CheckType.DNS_BLOCKLIST: "DNS blocklist",
}

_HOST_CHECKS = (
    CheckType.UPTIME,
    CheckType.PERFORMANCE,
    CheckType.CERTIFICATE_HEALTH,
    CheckType.DNS,
    CheckType.DOMAIN,
    CheckType.PORTS,
    CheckType.DNS_BLOCKLIST,
)

# Every check type a monitor of the type carries, enabled or not, in display order.
CHECKS_BY_MONITOR_TYPE: dict[MonitorType, tuple[CheckType, ...]] = {
    MonitorType.HTTP: (
        CheckType.UPTIME,
        CheckType.PERFORMANCE,
        CheckType.CERTIFICATE_HEALTH,
        CheckType.BROKEN_LINKS,
        CheckType.MIXED_CONTENT,
        CheckType.LIGHTHOUSE,
        CheckType.CRON,
        CheckType.APPLICATION_HEALTH,
        CheckType.SITEMAP,
        CheckType.DNS,
        CheckType.DOMAIN,
        CheckType.PORTS,
        CheckType.DNS_BLOCKLIST,
    ),
    MonitorType.PING: _HOST_CHECKS,
    MonitorType.TCP: _HOST_CHECKS,
    MonitorType.AI: (
        CheckType.AI,
        CheckType.UPTIME,
        CheckType.PERFORMANCE,
        CheckType.CERTIFICATE_HEALTH,
        CheckType.DNS,
        CheckType.DOMAIN,
    ),
}

# Enabled when a monitor is created without a `checks` list.
DEFAULT_ENABLED_CHECKS: dict[MonitorType, frozenset[CheckType]] = {
    MonitorType.HTTP: frozenset(
        {
            CheckType.UPTIME,
            CheckType.PERFORMANCE,
            CheckType.CERTIFICATE_HEALTH,
            CheckType.BROKEN_LINKS,
        }
    ),
    MonitorType.PING: frozenset({CheckType.UPTIME, CheckType.PERFORMANCE}),
    MonitorType.TCP: frozenset({CheckType.UPTIME, CheckType.PERFORMANCE}),
    MonitorType.AI: frozenset({CheckType.AI}),
}
