"""DNSPod-compatible DNS: domains, their records, D-Monitors and what those saw.

Lookout's own record table is the source of truth for every name it serves; a provider
(RFC 2136) only mirrors it. A D-Monitor watches one record's IP through an ordinary
Lookout http monitor (`monitor_id`), so it shows in the Oh Dear API too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class DnsDomain(Base):
    __tablename__ = "dns_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # The punycode (ASCII) form, lower case: one domain is served once, whoever asks.
    name: Mapped[str] = mapped_column(String(253), unique=True)
    display_name: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(16), default="enable")
    ttl: Mapped[int] = mapped_column(Integer, default=600)
    remark: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DnsRecord(Base):
    __tablename__ = "dns_records"
    __table_args__ = (Index("ix_dns_records_domain_name_type", "domain_id", "sub_domain", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("dns_domains.id", ondelete="CASCADE"))
    sub_domain: Mapped[str] = mapped_column(String(253))
    type: Mapped[str] = mapped_column(String(10))
    line: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(512))
    ttl: Mapped[int] = mapped_column(Integer)
    mx: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    remark: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DMonitor(Base):
    """A DNSPod D-Monitor: the settings of Monitor.Create and the state failover keeps."""

    __tablename__ = "d_monitors"
    __table_args__ = (UniqueConstraint("record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("dns_domains.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("dns_records.id", ondelete="CASCADE"))
    # The Lookout http monitor that does the checking.
    monitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitors.id", ondelete="SET NULL"), nullable=True, index=True
    )
    ip: Mapped[str] = mapped_column(String(253))
    # Since when `ip` is the IP watched (Record.Modify moves it): the check's verdicts from
    # before are about another IP and failover does not act on them.
    ip_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    now_ip: Mapped[str] = mapped_column(String(253))
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    monitor_type: Mapped[str] = mapped_column(String(8))
    monitor_path: Mapped[str] = mapped_column(String(1024))
    monitor_interval: Mapped[int] = mapped_column(Integer)
    points: Mapped[str] = mapped_column(String(255))
    bak_ip: Mapped[str] = mapped_column(String(1024))
    keep_ttl: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_notice: Mapped[str] = mapped_column(String(16), default="")
    email_notice: Mapped[str] = mapped_column(String(16), default="me")
    less_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_url: Mapped[str] = mapped_column(String(1024), default="")
    callback_key: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(8), default="Ok")
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    # The failover policy's memory: what it switched, and the TTL to restore.
    switch_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The backup IPs' last probe results: {ip: {"status": Ok|Warn|Down, "status_code", "at"}}.
    backup_health: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DMonitorDown(Base):
    """One outage of a D-Monitor's IP, for Monitor.Getdowns: why, and what was switched."""

    __tablename__ = "d_monitor_downs"
    __table_args__ = (Index("ix_d_monitor_downs_team_id_id", "team_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    d_monitor_id: Mapped[int] = mapped_column(ForeignKey("d_monitors.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(253))
    record_line: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str] = mapped_column(String(253))
    warn_reason: Mapped[str] = mapped_column(Text, default="")
    switch_log: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recovered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
