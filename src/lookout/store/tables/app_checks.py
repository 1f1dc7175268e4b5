"""What the domain and application health checks keep beside their runs.

A domain check keeps one registration row per check (the latest lookup). An application
health check keeps one row per health check the app reports (`name`), a history of its
statuses (a row per status, its `updated_at` moved while the status holds) and snoozes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class DomainRegistration(Base):
    __tablename__ = "domain_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), unique=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    # rdap or whois: where the data below came from.
    source: Mapped[str | None] = mapped_column(String(8), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_updated_in_rdap_db_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    domain_statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    registrar: Mapped[str | None] = mapped_column(String(255), nullable=True)
    nameservers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The RDAP domain object as the registry sent it ({"whois": text} from WHOIS).
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    not_supported_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AppHealthCheck(Base):
    __tablename__ = "app_health_checks"
    __table_args__ = (UniqueConstraint("check_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    short_summary: Mapped[str] = mapped_column(String(255))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # In the app's latest answer; one it stopped reporting is kept (history, snoozes) unlisted.
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AppHealthResult(Base):
    __tablename__ = "app_health_results"
    __table_args__ = (Index("ix_app_health_results_check_id", "health_check_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    health_check_id: Mapped[int] = mapped_column(ForeignKey("app_health_checks.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    short_summary: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AppHealthSnooze(Base):
    __tablename__ = "app_health_snoozes"
    __table_args__ = (Index("ix_app_health_snoozes_check_ends", "health_check_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    health_check_id: Mapped[int] = mapped_column(ForeignKey("app_health_checks.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    snoozed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    unsnoozed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="API")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
