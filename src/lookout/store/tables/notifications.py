"""Notification destinations, the outbox of messages decided for them, and every delivery
attempt.

A destination belongs to a team and hangs at one level: the team (no monitor, tag or tag
group), a monitor, a tag or a tag group. A message is one event for one destination; its
`dedupe_key` is unique, so two processes deciding the same thing insert it once, and its
claim (`claimed_by`, `claimed_until`) is taken by compare-and-set, so two processes never
send it twice and a claim left by a dead process expires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class NotificationDestination(Base):
    __tablename__ = "notification_destinations"
    __table_args__ = (
        Index("ix_notification_destinations_team_id", "team_id"),
        Index("ix_notification_destinations_monitor_id", "monitor_id"),
        Index("ix_notification_destinations_tag_id", "tag_id"),
        Index("ix_notification_destinations_tag_group_id", "tag_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    monitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), nullable=True
    )
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), nullable=True)
    # tag_groups arrives in a later migration (0017): no foreign key; a destination whose
    # group is gone matches no monitor.
    tag_group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    destination: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The webhook signing secret; shown once, when the destination is created.
    secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    notification_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NotificationMessage(Base):
    """One event for one destination: pending until sent, failed after its last attempt;
    `suppressed` (snooze, maintenance, ...) and `collapsed` (into a summary) are decisions
    kept for the record and never sent."""

    __tablename__ = "notification_messages"
    __table_args__ = (
        Index("ix_notification_messages_status_due", "status", "due_at"),
        Index("ix_notification_messages_destination_created", "destination_id", "created_at"),
        Index("ix_notification_messages_check_destination", "check_id", "destination_id"),
        Index("ix_notification_messages_state_change_id", "state_change_id"),
        Index("ix_notification_messages_summary_id", "summary_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[int] = mapped_column(
        ForeignKey("notification_destinations.id", ondelete="CASCADE")
    )
    monitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), nullable=True
    )
    check_id: Mapped[int | None] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), nullable=True)
    state_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("state_changes.id", ondelete="CASCADE"), nullable=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    notification_type: Mapped[str] = mapped_column(String(96))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The summary message a collapsed message was folded into.
    summary_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class NotificationDelivery(Base):
    """One attempt to deliver a message: what the channel said and how long it took."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_message_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("notification_messages.id", ondelete="CASCADE"))
    destination_id: Mapped[int] = mapped_column(
        ForeignKey("notification_destinations.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MonitorNotificationLimit(Base):
    """A monitor's own limits on what its destinations are told (no row: none): `muted`
    keeps every message about it (`suppressed`, never sent); `max_per_hour` lets each
    destination be told of it that many times an hour, the rest suppressed. Whoever owns
    the monitor sets it (a DNSPod D-Monitor's `email_notice`/`less_notice`)."""

    __tablename__ = "monitor_notification_limits"

    monitor_id: Mapped[int] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    max_per_hour: Mapped[int | None] = mapped_column(Integer, nullable=True)
