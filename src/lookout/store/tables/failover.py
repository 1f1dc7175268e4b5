"""DNS failover's own rows: which state changes it has taken, the switches it intends and
made, and the DNSPod callbacks it owes.

Failover reads `state_changes` like the notification outbox does, but claims them here
(one `failover_claims` row per change, taken by compare-and-set), never through the
outbox's `processed_at`: each consumer sees every change once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class FailoverClaim(Base):
    """A state change of a D-Monitor's check, taken by one process until `claimed_until`;
    done once `done_at` is set. The primary key is the change: two takers cannot both insert."""

    __tablename__ = "failover_claims"

    state_change_id: Mapped[int] = mapped_column(
        ForeignKey("state_changes.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_until: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FailoverSwitch(Base):
    """One intended change of a monitored record, stored before it is applied: `pending`
    until the provider took it and the read-back matched, then `applied`."""

    __tablename__ = "failover_switches"
    __table_args__ = (Index("ix_failover_switches_monitor_status", "d_monitor_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    d_monitor_id: Mapped[int] = mapped_column(ForeignKey("d_monitors.id", ondelete="CASCADE"))
    # The policy's edits ([{record_id, value, enabled, ttl}]) and the switch state after them.
    edits: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    new_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    log: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FailoverCallback(Base):
    """A DNSPod callback POST (B6) owed to a D-Monitor's `callback_url`: the form as it is
    sent (checksum included), retried until a 2xx or the last attempt."""

    __tablename__ = "failover_callbacks"
    __table_args__ = (
        Index("ix_failover_callbacks_status_due", "status", "due_at"),
        Index("ix_failover_callbacks_d_monitor_id", "d_monitor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    d_monitor_id: Mapped[int] = mapped_column(ForeignKey("d_monitors.id", ondelete="CASCADE"))
    state_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("state_changes.id", ondelete="SET NULL"), nullable=True
    )
    url: Mapped[str] = mapped_column(String(1024))
    form: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # pending, sent, failed (after the last attempt) or suppressed (less_notice).
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FailoverCallbackAttempt(Base):
    """One try to deliver a callback: what the receiver (or the network) said."""

    __tablename__ = "failover_callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(
        ForeignKey("failover_callbacks.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FailoverCursor(Base):
    """How far failover has read `state_changes`: every D-Monitor change with an id up to
    `last_id` is done, so a round reads only the changes after it (by the primary key),
    however long the history. Shared by every process; it only moves forward."""

    __tablename__ = "failover_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
