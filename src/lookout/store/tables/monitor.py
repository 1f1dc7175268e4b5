"""Monitors, their checks and tags. Check settings are validated JSON, one object per check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class Monitor(Base):
    __tablename__ = "monitors"
    __table_args__ = (
        Index("ix_monitors_team_url", "team_id", "url"),
        # Lists are a team's monitors in id order: this index serves them without a sort.
        Index("ix_monitors_team_id_id", "team_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    sort_url: Mapped[str] = mapped_column(String(2048))
    friendly_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    group_name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Monitor-level options that belong to no check: crawler headers, report recipients.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    badge_id: Mapped[str] = mapped_column(String(32), unique=True)
    latest_run_date: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    summarized_check_result: Mapped[str] = mapped_column(String(32), default="pending")
    marked_for_deletion_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Check(Base):
    __tablename__ = "checks"
    __table_args__ = (
        UniqueConstraint("monitor_id", "type"),
        # The scheduler claims enabled, due or never-run checks per type. `enabled` before
        # `next_run_at`: a disabled check has no schedule (NULL), and on (type, next_run_at)
        # the never-run branch walked every disabled check of the type on every tick (at
        # 100,000 monitors with 11 disabled types each: 1,667 checks/s asked, 453 done).
        Index("ix_checks_type_enabled_next_run_at", "type", "enabled", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    latest_run_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    latest_run_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    latest_run_result: Mapped[str | None] = mapped_column(String(32), nullable=True)
    summary: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MonitorTag(Base):
    __tablename__ = "monitor_tags"

    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
