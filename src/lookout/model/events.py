"""Event names: the one place a (check type, state change kind) becomes what a notification
is called.

`event` is the camelCase name webhooks carry in `type` (Oh Dear's `uptimeCheckFailed`);
`notification_type` is the class name destinations filter on (`notification_types`,
Oh Dear's `UptimeCheckFailedNotification`). Everything else about a notification comes
from the state change itself (kind, reason, details), never from the check type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lookout.model.check_type import CheckType


@dataclass(frozen=True, slots=True)
class EventName:
    event: str
    notification_type: str


# Kinds a state change has (engine/evaluator.py), and the ones the outbox adds itself.
FAILED, RECOVERED, WARNING, FIXED, CHANGED = "failed", "recovered", "warning", "fixed", "changed"
REMINDER, SUMMARY, TEST = "reminder", "summary", "test"

_BASE: dict[CheckType, str] = {
    CheckType.UPTIME: "uptimeCheck",
    CheckType.PERFORMANCE: "performanceCheck",
    CheckType.CERTIFICATE_HEALTH: "certificateCheck",
    CheckType.BROKEN_LINKS: "brokenLinksCheck",
    CheckType.MIXED_CONTENT: "mixedContentCheck",
    CheckType.LIGHTHOUSE: "lighthouseCheck",
    CheckType.CRON: "cronCheck",
    CheckType.APPLICATION_HEALTH: "applicationHealthCheck",
    CheckType.SITEMAP: "sitemapCheck",
    CheckType.DNS: "dnsCheck",
    CheckType.DOMAIN: "domainCheck",
    CheckType.AI: "aiCheck",
    CheckType.PORTS: "portsCheck",
    CheckType.DNS_BLOCKLIST: "dnsBlocklistCheck",
}

# Where Oh Dear names an event after what happened rather than after the check's status.
_NAMED: dict[tuple[CheckType, str], str] = {
    (CheckType.PERFORMANCE, FAILED): "performanceThresholdExceeded",
    (CheckType.PERFORMANCE, WARNING): "performanceThresholdExceeded",
    (CheckType.PERFORMANCE, RECOVERED): "performanceThresholdRestored",
    (CheckType.PERFORMANCE, FIXED): "performanceThresholdRestored",
    (CheckType.CERTIFICATE_HEALTH, WARNING): "certificateExpiresSoon",
    (CheckType.CERTIFICATE_HEALTH, CHANGED): "certificateHasChanged",
    (CheckType.BROKEN_LINKS, FAILED): "brokenLinksFound",
    (CheckType.BROKEN_LINKS, WARNING): "brokenLinksFound",
    (CheckType.BROKEN_LINKS, CHANGED): "brokenLinksFound",
    (CheckType.BROKEN_LINKS, RECOVERED): "brokenLinksFixed",
    (CheckType.BROKEN_LINKS, FIXED): "brokenLinksFixed",
    (CheckType.MIXED_CONTENT, FAILED): "mixedContentFound",
    (CheckType.MIXED_CONTENT, WARNING): "mixedContentFound",
    (CheckType.MIXED_CONTENT, CHANGED): "mixedContentFound",
    (CheckType.MIXED_CONTENT, RECOVERED): "mixedContentFixed",
    (CheckType.MIXED_CONTENT, FIXED): "mixedContentFixed",
    (CheckType.LIGHTHOUSE, FAILED): "lighthouseIssuesDetected",
    (CheckType.LIGHTHOUSE, WARNING): "lighthouseIssuesDetected",
    (CheckType.LIGHTHOUSE, CHANGED): "lighthouseIssuesDetected",
    (CheckType.LIGHTHOUSE, RECOVERED): "lighthouseIssuesFixed",
    (CheckType.LIGHTHOUSE, FIXED): "lighthouseIssuesFixed",
    (CheckType.SITEMAP, FAILED): "sitemapIssuesFound",
    (CheckType.SITEMAP, WARNING): "sitemapIssuesFound",
    (CheckType.SITEMAP, CHANGED): "sitemapIssuesFound",
    (CheckType.SITEMAP, RECOVERED): "sitemapIssuesFixed",
    (CheckType.SITEMAP, FIXED): "sitemapIssuesFixed",
    (CheckType.DNS, CHANGED): "dnsRecordsChanged",
    (CheckType.DOMAIN, WARNING): "domainExpiresSoon",
    (CheckType.PORTS, CHANGED): "openPortsChanged",
    (CheckType.APPLICATION_HEALTH, WARNING): "applicationHealthCheckWarning",
    (CheckType.APPLICATION_HEALTH, FIXED): "applicationHealthCheckRecovered",
}

_SUFFIX: dict[str, str] = {
    FAILED: "Failed",
    RECOVERED: "Recovered",
    WARNING: "Warning",
    FIXED: "WarningFixed",
    CHANGED: "Changed",
}

# Older Oh Dear class names a destination may filter on, and what they mean here.
ALIASES: dict[str, str] = {
    "HttpUptimeCheckFailedNotification": "UptimeCheckFailedNotification",
    "HttpUptimeCheckRecoveredNotification": "UptimeCheckRecoveredNotification",
}

# The key of a run's details by which a check says its failure (or warning) comes only from
# subjects a person snoozed (scheduled tasks, an app's health checks): ISO 8601 UTC, the
# earliest end of those snoozes. Notifications are held until then; the check still fails.
SILENCED_UNTIL: Final = "silenced_until"

TEST_EVENT = EventName("testNotification", "TestNotification")
SUMMARY_EVENT = EventName("notificationsSummary", "NotificationsSummaryNotification")


def class_name(event: str) -> str:
    return event[:1].upper() + event[1:] + "Notification"


def event_name(check_type: str, kind: str) -> EventName | None:
    """The event for a state change of `kind` on a check of `check_type`; None if unknown.
    A reminder is named as the failure it reminds of."""
    try:
        typed = CheckType(check_type)
    except ValueError:
        return None
    if kind == REMINDER:
        kind = FAILED
    if kind not in _SUFFIX:
        return None
    event = _NAMED.get((typed, kind)) or _BASE[typed] + _SUFFIX[kind]
    return EventName(event, class_name(event))


def all_notification_types() -> frozenset[str]:
    """Every class name a destination may filter on."""
    names = {
        name.notification_type
        for check_type in CheckType
        for kind in _SUFFIX
        if (name := event_name(check_type, kind)) is not None
    }
    return frozenset(names | set(ALIASES) | {TEST_EVENT.notification_type, SUMMARY_EVENT.notification_type})


def wanted(notification_types: list[str] | tuple[str, ...], notification_type: str) -> bool:
    """A destination's filter: empty means every type; aliases count as their meaning."""
    if not notification_types:
        return True
    return any(ALIASES.get(name, name) == notification_type for name in notification_types)
