"""State changes, the messages of no change and a crawl's resolved findings age out after
the retention, as runs do, except what a check still needs: an episode not over (its
failure for the reminders, its messages for the recovery), a recovery not handled yet,
each check's latest change, and the certificates a check has seen (their history is read)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.registry import CHECKS
from lookout.engine.database import Database
from lookout.engine.sweeps import RetentionSweep, aging_finding_types
from lookout.store.db import transaction
from lookout.store.repositories import runs
from lookout.store.repositories.notifications import down_failures
from lookout.store.tables import (
    CheckState,
    Finding,
    Monitor,
    NotificationDelivery,
    NotificationDestination,
    NotificationMessage,
    StateChange,
)
from tests.engine.seed import add_monitor, migrated

T0 = datetime(2026, 3, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
STEPS = {
    "failed": ("up", "down"),
    "fixed": ("down", "up"),
    "warning": ("up", "warning"),
    "fixed-warning": ("warning", "up"),
    "changed": ("down", "down"),
}


def change(session: Session, ids: dict[str, int], step: str, day: int, handled: bool = True) -> int:
    from_status, to_status = STEPS[step]
    at = T0 + timedelta(days=day)
    return int(
        session.execute(
            insert(StateChange)
            .values(
                check_id=ids["uptime"],
                monitor_id=ids["monitor"],
                kind=step.split("-")[0],
                from_status=from_status,
                to_status=to_status,
                result="failed" if to_status == "down" else "succeeded",
                reason=step,
                created_at=at,
                processed_at=at + timedelta(seconds=5) if handled else None,
            )
            .returning(StateChange.id)
        ).scalar_one()
    )


def message(
    session: Session, destination: int, key: str, day: int, change_id: int | None, status: str
) -> int:
    at = T0 + timedelta(days=day)
    values: dict[str, Any] = {
        "destination_id": destination,
        "state_change_id": change_id,
        "dedupe_key": key,
        "event": "uptimeCheckFailed",
        "notification_type": "UptimeCheckFailedNotification",
        "kind": "reminder" if change_id is None else "failed",
        "status": status,
        "payload": {},
        "attempts": 1,
        "due_at": at,
        "created_at": at,
    }
    return int(
        session.execute(
            insert(NotificationMessage).values(**values).returning(NotificationMessage.id)
        ).scalar_one()
    )


def set_status(session: Session, ids: dict[str, int], status: str) -> None:
    session.add(CheckState(check_id=ids["uptime"], status=status, failures_in_a_row=0, successes_in_a_row=0))


def sweep(factory: sessionmaker[Session]) -> int:
    return asyncio.run(RetentionSweep(Database(factory), lambda: NOW, retention_days=14).sweep_changes())


def test_old_changes_of_recovered_checks_go_and_what_a_check_needs_stays(empty_url: str) -> None:
    factory = migrated(empty_url)
    recovered = add_monitor(factory, "recovered.example:443")
    down = add_monitor(factory, "down.example:443")
    unhandled = add_monitor(factory, "unhandled.example:443")
    with transaction(factory) as session:
        team_id = session.scalar(select(Monitor.team_id).where(Monitor.id == recovered["monitor"]))
        destination = NotificationDestination(
            team_id=team_id,
            channel="webhook",
            destination={"url": "https://hooks.example/"},
            notification_types=[],
            enabled=True,
            created_at=T0,
            updated_at=T0,
        )
        session.add(destination)
        session.flush()
        to = destination.id
        # An old outage and an old warning, both over, and down again since day 25.
        set_status(session, recovered, "down")
        old_failure = change(session, recovered, "failed", 1)
        old_fix = change(session, recovered, "fixed", 2)
        old_warning = change(session, recovered, "warning", 3)
        last_old = change(session, recovered, "fixed-warning", 4)
        recent = change(session, recovered, "failed", 25)
        # Down for a month: its failure and what changed while it lasted.
        set_status(session, down, "down")
        long_failure = change(session, down, "failed", 1)
        long_changed = change(session, down, "changed", 3)
        # Recovered, but the recovery is not handled (fanned out) yet.
        set_status(session, unhandled, "up")
        waiting_failure = change(session, unhandled, "failed", 1)
        waiting_fix = change(session, unhandled, "fixed", 10, handled=False)
        gone_with_change = message(session, to, "failed:old", 1, old_failure, "sent")
        kept_with_change = message(session, to, "failed:long", 1, long_failure, "sent")
        old_reminder = message(session, to, "reminder:old", 2, None, "sent")
        pending_reminder = message(session, to, "reminder:pending", 2, None, "pending")
        recent_summary = message(session, to, "summary:recent", 28, None, "sent")
        session.add(
            NotificationDelivery(
                message_id=old_reminder,
                destination_id=to,
                channel="webhook",
                attempt=1,
                status="sent",
                duration_ms=12.0,
                created_at=T0 + timedelta(days=2),
            )
        )

    assert sweep(factory) == 3 + 1  # three changes, one message (its delivery goes with it)

    with factory() as session:
        changes = set(session.scalars(select(StateChange.id)))
        messages = set(session.scalars(select(NotificationMessage.id)))
        deliveries = session.scalars(select(NotificationDelivery.id)).all()
        failures = [failure.change_id for failure in down_failures(session)]
    assert changes == {last_old, recent, long_failure, long_changed, waiting_failure, waiting_fix}
    assert not {old_failure, old_fix, old_warning} & changes
    assert messages == {kept_with_change, pending_reminder, recent_summary}
    assert gone_with_change not in messages and deliveries == []
    assert failures == [recent, long_failure]  # the month-long outage still gets its reminders
    assert sweep(factory) == 0


def finding(session: Session, check_id: int, key: str, seen_day: int, resolved_day: int | None) -> None:
    session.execute(
        insert(Finding).values(
            check_id=check_id,
            key=key,
            payload={"url": key},
            first_seen_at=T0 + timedelta(days=seen_day),
            last_seen_at=T0 + timedelta(days=resolved_day if resolved_day is not None else 29),
            resolved_at=None if resolved_day is None else T0 + timedelta(days=resolved_day),
        )
    )


def test_a_crawls_old_resolved_findings_go_once_a_day_and_certificates_stay(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "DELETE_CHUNK", 1)  # a transaction a finding: the chunks loop
    factory = migrated(empty_url)
    ids = add_monitor(
        factory,
        "https://crawled.example/",
        monitor_type="http",
        checks={"broken_links": {}, "certificate_health": {}},
    )
    with transaction(factory) as session:
        finding(session, ids["broken_links"], "https://crawled.example/fixed-long-ago", 1, 3)
        finding(session, ids["broken_links"], "https://crawled.example/fixed-long-ago-too", 2, 4)
        finding(session, ids["broken_links"], "https://crawled.example/fixed-lately", 1, 25)
        finding(session, ids["broken_links"], "https://crawled.example/still-broken", 1, None)
        finding(session, ids["certificate_health"], "old-certificate", 1, 3)  # history: kept
    clock = {"now": NOW}
    sweep = RetentionSweep(
        Database(factory), lambda: clock["now"], retention_days=14, aging_finding_types=["broken_links"]
    )
    assert asyncio.run(sweep.sweep_findings()) == 2
    with factory() as session:
        left = set(session.scalars(select(Finding.key)))
    assert left == {
        "https://crawled.example/fixed-lately",
        "https://crawled.example/still-broken",
        "old-certificate",
    }
    clock["now"] = NOW + timedelta(days=10)  # fixed-lately is past the retention now ...
    assert asyncio.run(sweep.sweep_findings()) == 1
    with transaction(factory) as session:
        finding(session, ids["broken_links"], "https://crawled.example/fixed-again", 1, 2)
    clock["now"] += timedelta(hours=23)  # ... and a day's walk waits a day
    assert asyncio.run(sweep.sweep_findings()) == 0
    clock["now"] += timedelta(hours=1)
    assert asyncio.run(sweep.sweep_findings()) == 1


def test_the_crawls_are_the_checks_whose_resolved_findings_age_out() -> None:
    assert aging_finding_types(CHECKS) == ["broken_links", "mixed_content", "sitemap"]
