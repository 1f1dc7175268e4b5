"""Scheduled tasks (cron check definitions) of a monitor, their latest ping, and snoozes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class CronCheck(Base):
    """One task: its schedule, what its last ping said, and when the sweep looks next.

    `wake_at` is the only thing the sweep searches by (indexed): the deadline while the task
    waits for a good ping, now when a ping or edit changed what the monitor's check should
    say, NULL when there is nothing to wait for. `version` is bumped by every ping and edit,
    so the sweep's write loses against a ping that arrived while it judged.
    """

    __tablename__ = "cron_checks"
    __table_args__ = (Index("ix_cron_checks_wake_at", "wake_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    frequency_in_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grace_time_in_minutes: Mapped[int] = mapped_column(Integer, default=5)
    cron_expression: Mapped[str | None] = mapped_column(String(255), nullable=True)
    server_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    # What the monitor's cron check was last told of this task (model.cron.effective);
    # "" for a new task, so the check judges it once.
    reported_status: Mapped[str] = mapped_column(String(16), default="")
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    wake_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    latest_result: Mapped[str] = mapped_column(String(16), default="")
    latest_ping_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    latest_memory: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    latest_runtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    latest_exit_code: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    latest_failure_message: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CronCheckSnooze(Base):
    """Mutes one task: while it runs, the task's failures do not fail the monitor's check."""

    __tablename__ = "cron_check_snoozes"
    __table_args__ = (Index("ix_cron_check_snoozes_task_ends", "cron_check_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cron_check_id: Mapped[int] = mapped_column(ForeignKey("cron_checks.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    snoozed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    unsnoozed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="API")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
