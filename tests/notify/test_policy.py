"""The alert policy and the event table, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lookout.model import events
from lookout.model.check_type import CheckType
from lookout.notify.policy import PolicyConfig, Situation, Verdict, decide, reminder_number

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CONFIG = PolicyConfig(rate_per_minute=3, flap_per_hour=5)


def situation(**kwargs: object) -> Situation:
    base: dict[str, object] = {
        "kind": "failed",
        "notification_type": "UptimeCheckFailedNotification",
        "destination_types": (),
        "enabled": True,
        "event_at": NOW,
        "now": NOW,
    }
    base.update(kwargs)
    return Situation(**base)  # type: ignore[arg-type]


def test_decisions_in_order() -> None:
    assert decide(situation(), CONFIG).verdict is Verdict.SEND
    assert decide(situation(enabled=False), CONFIG).verdict is Verdict.SKIP
    assert (
        decide(situation(destination_types=("CertificateExpiresSoonNotification",)), CONFIG).verdict
        is Verdict.SKIP
    )
    assert (
        decide(situation(destination_types=("HttpUptimeCheckFailedNotification",)), CONFIG).verdict
        is Verdict.SEND
    )
    assert decide(situation(event_at=NOW - timedelta(hours=2)), CONFIG).verdict is Verdict.SKIP
    assert decide(situation(snoozed=True), CONFIG).reason == "snoozed"
    # Every failing subject snoozed: held while the snooze lies ahead, told once it is over.
    later = situation(silenced_until=NOW + timedelta(minutes=5))
    assert decide(later, CONFIG).reason == "snoozed"
    assert decide(situation(silenced_until=NOW), CONFIG).verdict is Verdict.SEND
    assert decide(situation(in_maintenance=True), CONFIG).reason == "in maintenance"
    assert decide(situation(kind="recovered", opener_told=False), CONFIG).verdict is Verdict.SUPPRESS
    assert decide(situation(kind="recovered", opener_told=True), CONFIG).verdict is Verdict.SEND
    assert decide(situation(sent_this_minute=3), CONFIG).verdict is Verdict.COLLAPSE
    assert decide(situation(sent_for_check_this_hour=5), CONFIG).reason == "flapping"


def test_reminders_count_whole_periods() -> None:
    every = timedelta(hours=24)
    assert reminder_number(NOW, NOW + timedelta(hours=23), every) == 0
    assert reminder_number(NOW, NOW + timedelta(hours=49), every) == 2
    assert reminder_number(NOW, NOW + timedelta(hours=49), None) == 0


def test_event_names_for_every_check_type_and_kind() -> None:
    assert events.event_name("uptime", "failed") == events.EventName(
        "uptimeCheckFailed", "UptimeCheckFailedNotification"
    )
    assert events.event_name("uptime", "reminder") == events.event_name("uptime", "failed")
    assert events.event_name("certificate_health", "warning") == events.EventName(
        "certificateExpiresSoon", "CertificateExpiresSoonNotification"
    )
    assert events.event_name("certificate_health", "changed").event == "certificateHasChanged"  # type: ignore[union-attr]
    assert events.event_name("dns", "changed").event == "dnsRecordsChanged"  # type: ignore[union-attr]
    assert events.event_name("broken_links", "fixed").event == "brokenLinksFixed"  # type: ignore[union-attr]
    assert events.event_name("cron", "recovered").event == "cronCheckRecovered"  # type: ignore[union-attr]
    assert events.event_name("nope", "failed") is None
    for check_type in CheckType:
        for kind in ("failed", "recovered", "warning", "fixed", "changed"):
            name = events.event_name(check_type, kind)
            assert name is not None and name.event[0].islower()
            assert name.notification_type in events.all_notification_types()
