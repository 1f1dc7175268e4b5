"""One settings model per check type, with the spec's defaults.

`settings_model_for(check_type, monitor_type)` is the only place that maps a check type
to its model; uptime has one shape per monitor type.
"""

from __future__ import annotations

from lookout.model.check_settings.base import HeaderField, NameValue, ScheduledSettings, SettingsModel
from lookout.model.check_settings.others import (
    AiSettings,
    ApplicationHealthSettings,
    BrokenLinksSettings,
    CertificateHealthSettings,
    CronSettings,
    DnsBlocklistSettings,
    DnsSettings,
    DomainSettings,
    LighthouseSettings,
    MixedContentSettings,
    PerformanceSettings,
    PortsSettings,
    SitemapSettings,
    generate_secret,
)
from lookout.model.check_settings.uptime import (
    ExpectedResponseHeader,
    HeaderCondition,
    HttpUptimeSettings,
    HttpVerb,
    PingUptimeSettings,
    TcpUptimeSettings,
)
from lookout.model.check_type import CheckType, MonitorType

UPTIME_SETTINGS: dict[MonitorType, type[SettingsModel]] = {
    MonitorType.HTTP: HttpUptimeSettings,
    MonitorType.PING: PingUptimeSettings,
    MonitorType.TCP: TcpUptimeSettings,
    MonitorType.AI: HttpUptimeSettings,
}

SETTINGS_MODELS: dict[CheckType, type[SettingsModel]] = {
    CheckType.PERFORMANCE: PerformanceSettings,
    CheckType.CERTIFICATE_HEALTH: CertificateHealthSettings,
    CheckType.BROKEN_LINKS: BrokenLinksSettings,
    CheckType.MIXED_CONTENT: MixedContentSettings,
    CheckType.LIGHTHOUSE: LighthouseSettings,
    CheckType.CRON: CronSettings,
    CheckType.APPLICATION_HEALTH: ApplicationHealthSettings,
    CheckType.SITEMAP: SitemapSettings,
    CheckType.DNS: DnsSettings,
    CheckType.DOMAIN: DomainSettings,
    CheckType.AI: AiSettings,
    CheckType.PORTS: PortsSettings,
    CheckType.DNS_BLOCKLIST: DnsBlocklistSettings,
}

assert set(SETTINGS_MODELS) | {CheckType.UPTIME} == set(CheckType), "a check type lacks settings"


# The check types whose settings say how often a failure is told again (AI's throttle).
OWN_REMINDERS = frozenset(
    check_type.value
    for check_type, model in SETTINGS_MODELS.items()
    if model.reminder_every is not SettingsModel.reminder_every
)


def settings_model_for(check_type: CheckType, monitor_type: MonitorType) -> type[SettingsModel]:
    if check_type is CheckType.UPTIME:
        return UPTIME_SETTINGS[monitor_type]
    return SETTINGS_MODELS[check_type]


# The monitor-level key under which each check type's settings appear in the Oh Dear API.
SETTINGS_KEYS: dict[CheckType, str] = {
    check_type: f"{check_type.value}_check_settings"
    for check_type in CheckType
    if check_type not in (CheckType.CRON, CheckType.MIXED_CONTENT)
}

__all__ = [
    "AiSettings",
    "ApplicationHealthSettings",
    "BrokenLinksSettings",
    "CertificateHealthSettings",
    "CronSettings",
    "DnsBlocklistSettings",
    "DnsSettings",
    "DomainSettings",
    "ExpectedResponseHeader",
    "HeaderCondition",
    "HeaderField",
    "HttpUptimeSettings",
    "HttpVerb",
    "LighthouseSettings",
    "MixedContentSettings",
    "NameValue",
    "PerformanceSettings",
    "PingUptimeSettings",
    "PortsSettings",
    "ScheduledSettings",
    "SettingsModel",
    "SETTINGS_KEYS",
    "SETTINGS_MODELS",
    "SitemapSettings",
    "TcpUptimeSettings",
    "UPTIME_SETTINGS",
    "generate_secret",
    "settings_model_for",
]
