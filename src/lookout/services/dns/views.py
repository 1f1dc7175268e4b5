"""What the DNS services hand the API: frozen views, never rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DomainView:
    id: int
    name: str  # ASCII (punycode)
    display_name: str
    status: str  # enable | pause
    ttl: int
    remark: str
    records: int
    owner: str
    user_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RecordView:
    id: int
    domain_id: int
    sub_domain: str
    type: str
    line: str
    value: str
    ttl: int
    mx: int
    weight: int | None
    enabled: bool
    remark: str
    monitor_status: str  # Ok | Warn | Down | "" (no D-Monitor)
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RecordPage:
    domain: DomainView
    total: int
    sub_domains: int
    records: tuple[RecordView, ...]


@dataclass(frozen=True, slots=True)
class DMonitorView:
    id: int
    domain: DomainView
    record: RecordView
    monitor_id: int | None  # the Lookout http monitor
    ip: str
    now_ip: str
    host: str
    port: int
    monitor_type: str
    monitor_path: str
    monitor_interval: int
    points: str
    bak_ip: str
    keep_ttl: bool
    sms_notice: str
    email_notice: str
    less_notice: bool
    callback_url: str
    callback_key: str
    enabled: bool
    status: str
    status_code: int
    created_at: datetime
    updated_at: datetime
    bak_ip_status: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DownView:
    id: int
    d_monitor_id: int
    host: str
    record_line: str
    ip: str
    warn_reason: str
    switch_log: tuple[str, ...]
    created_at: datetime
    recovered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Sample:
    status: str
    status_code: int
    at: datetime
    response_ms: int


@dataclass(frozen=True, slots=True)
class PointHistory:
    point: str
    samples: tuple[Sample, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class MonitorCounts:
    monitoring: int
    not_monitoring: int
    down: int
    max_count: int
