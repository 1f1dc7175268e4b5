"""D-Monitors: a DNSPod monitor of one record's IP, checked by an ordinary Lookout http monitor.

Creating one creates, in the same transaction, an http monitor of the domain's team whose
uptime check connects to the record's IP with the D-Monitor's host as Host header and SNI
(it shows in the Oh Dear API like any other monitor and can be run on request there).
What failover switched and why lives here too: `switch_state` on the D-Monitor, and
`d_monitor_downs` for Monitor.Getdowns.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.model import monitor as monitor_rules
from lookout.model.check_settings import settings_model_for
from lookout.model.check_type import CHECKS_BY_MONITOR_TYPE, CheckType, MonitorType
from lookout.model.summary import summarize
from lookout.services.dns import d_monitor_input as rules
from lookout.services.dns import switches
from lookout.services.dns.d_monitor_input import MonitorInput, MonitorSettings
from lookout.services.dns.domains import DomainRef, domain_view, find_domain, same_name
from lookout.services.dns.errors import DnsRefused
from lookout.services.dns.publish import Publisher
from lookout.services.dns.records import find_record, record_view
from lookout.services.dns.views import DMonitorView, DownView, MonitorCounts, PointHistory, RecordView, Sample
from lookout.services.tokens import Principal
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.repositories import notifications as notify_repo
from lookout.store.tables.dns import DMonitor, DMonitorDown, DnsDomain, DnsRecord
from lookout.store.tables.monitor import Check, Monitor
from lookout.store.tables.runs import CheckRun, CheckState

MAX_HISTORY_HOURS = 24 * 30
MAX_HISTORY_SAMPLES = 2000
MAX_DOWNS_PAGE = 500
# A record's RRset: domain id, sub_domain, type.
RecordKey = tuple[int, str, str]


def monitor_url(settings: MonitorSettings) -> str:
    host = settings.host
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{settings.monitor_type}://{host}:{settings.port}{settings.monitor_path}"


def uptime_settings(
    settings: MonitorSettings, connect_ip: str | None, interval: int | None = None
) -> dict[str, Any]:
    """The Lookout uptime settings of a D-Monitor: no answer or 5xx is a failure, 4xx a
    warning (DNSPod's Warn), redirects are answers (not followed: the IP answered); its points
    go along, so that a failure is confirmed where one of them is checked from.
    `interval` replaces monitor_interval (LOOKOUT_DMONITOR_INTERVAL_SECONDS, a fast clock)."""
    model = settings_model_for(CheckType.UPTIME, MonitorType.HTTP)
    raw: dict[str, Any] = {
        "check_interval_in_seconds": interval or settings.monitor_interval,
        "timeout": 10,
        "max_redirect_count": 0,
        "valid_status_codes": ["1*", "2*", "3*"],
        "warning_status_codes": ["4*"],
        "failed_notification_threshold": 2,
        "connect_ip": connect_ip,
        "dmonitor_points": settings.points,
    }
    return model.model_validate(raw).model_dump(mode="json")


def _status_of(state: str | None, latest: str | None) -> str:
    if state == "down":
        return "Down"
    if state == "warning" or latest == "warning":
        return "Warn"
    return "Ok"


class DMonitorService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        allow_private_targets: bool = False,
        max_monitors: int = 100,
        max_points: int = rules.MAX_POINTS,
        interval_override: int | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._interval = interval_override
        self._allow_private = allow_private_targets
        self.max_monitors = max_monitors
        self.max_points = max_points

    # -- helpers ----------------------------------------------------------------------

    def _find(self, session: Session, who: Principal, monitor_id: int) -> DMonitor:
        row = session.get(DMonitor, monitor_id)
        if row is None or row.team_id not in who.team_ids:
            raise DnsRefused("monitor_id")
        return row

    @staticmethod
    def _previous(row: DMonitor) -> MonitorSettings:
        return MonitorSettings(
            host=row.host,
            port=row.port,
            monitor_type=row.monitor_type,
            monitor_path=row.monitor_path,
            monitor_interval=row.monitor_interval,
            points=row.points,
            bak_ip=row.bak_ip,
            keep_ttl=row.keep_ttl,
            sms_notice=row.sms_notice,
            email_notice=row.email_notice,
            less_notice=row.less_notice,
            callback_url=row.callback_url,
            callback_key=row.callback_key,
        )

    def _view(self, session: Session, row: DMonitor) -> DMonitorView:
        domain = session.get(DnsDomain, row.domain_id)
        record = session.get(DnsRecord, row.record_id)
        assert domain is not None and record is not None
        status, status_code = row.status, row.status_code
        if row.monitor_id is not None:
            found = session.execute(
                select(CheckState.status, Check.latest_run_result, Check.id)
                .select_from(Check)
                .outerjoin(CheckState, CheckState.check_id == Check.id)
                .where(Check.monitor_id == row.monitor_id, Check.type == CheckType.UPTIME.value)
            ).first()
            if found is not None:
                status = _status_of(found[0], found[1])
                last = session.execute(
                    select(CheckRun.details)
                    .where(CheckRun.check_id == found[2])
                    .order_by(CheckRun.id.desc())
                    .limit(1)
                ).first()
                if last is not None:
                    status_code = _status_code(last[0])
        view_record = record_view(record, status)
        backups = _backup_statuses(row)
        return DMonitorView(
            id=row.id,
            domain=domain_view(session, domain),
            record=view_record,
            monitor_id=row.monitor_id,
            ip=row.ip,
            now_ip=row.now_ip,
            host=row.host,
            port=row.port,
            monitor_type=row.monitor_type,
            monitor_path=row.monitor_path,
            monitor_interval=row.monitor_interval,
            points=row.points,
            bak_ip=row.bak_ip,
            keep_ttl=row.keep_ttl,
            sms_notice=row.sms_notice,
            email_notice=row.email_notice,
            less_notice=row.less_notice,
            callback_url=row.callback_url,
            callback_key=row.callback_key,
            enabled=row.enabled,
            status=status,
            status_code=status_code,
            created_at=row.created_at,
            updated_at=row.updated_at,
            bak_ip_status=backups,
        )

    @staticmethod
    def _connect_ip(record: DnsRecord) -> str | None:
        return record.value if record.type in ("A", "AAAA") else None

    def _insert_lookout_monitor(
        self, session: Session, team_id: int, settings: MonitorSettings, record: DnsRecord, name: str
    ) -> int:
        now = utcnow()
        url = monitor_url(settings)
        monitor = Monitor(
            team_id=team_id,
            type=MonitorType.HTTP.value,
            url=url,
            sort_url=monitor_rules.sort_url(url, MonitorType.HTTP),
            friendly_name=f"D-Monitor {name} {record.value}"[:255],
            group_name="D-Monitor",
            description=None,
            notes=None,
            options={},
            badge_id=secrets.token_hex(13),
            summarized_check_result=summarize(["pending"]),
            created_at=now,
            updated_at=now,
        )
        session.add(monitor)
        session.flush()
        for check_type in CHECKS_BY_MONITOR_TYPE[MonitorType.HTTP]:
            is_uptime = check_type is CheckType.UPTIME
            defaults = settings_model_for(check_type, MonitorType.HTTP)().model_dump(mode="json")
            session.add(
                Check(
                    monitor_id=monitor.id,
                    type=check_type.value,
                    enabled=is_uptime,
                    settings=(
                        uptime_settings(settings, self._connect_ip(record), self._interval)
                        if is_uptime
                        else defaults
                    ),
                    next_run_at=now if is_uptime else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        return monitor.id

    def _update_lookout_monitor(
        self,
        session: Session,
        row: DMonitor,
        settings: MonitorSettings,
        connect_ip: str | None,
        enabled: bool,
    ) -> None:
        if row.monitor_id is None:
            return
        now = utcnow()
        url = monitor_url(settings)
        monitors_repo.update_monitor(
            session,
            row.monitor_id,
            {"url": url, "sort_url": monitor_rules.sort_url(url, MonitorType.HTTP), "updated_at": now},
        )
        check = session.scalars(
            select(Check).where(Check.monitor_id == row.monitor_id, Check.type == CheckType.UPTIME.value)
        ).first()
        if check is not None:
            check.settings = uptime_settings(settings, connect_ip, self._interval)
            was_enabled = check.enabled
            check.enabled = enabled
            if enabled and not was_enabled:
                check.next_run_at = now
            check.updated_at = now

    # -- Monitor.Create / Modify / Remove / Setstatus -----------------------------------

    async def create(
        self, who: Principal, domain_ref: DomainRef | None, record_id: int | None, raw: MonitorInput
    ) -> tuple[str, int]:
        return await asyncio.to_thread(self._create, who, domain_ref, record_id, raw)

    def _create(
        self, who: Principal, domain_ref: DomainRef | None, record_id: int | None, raw: MonitorInput
    ) -> tuple[str, int]:
        with transaction(self._sessions) as session:
            if domain_ref is None:
                raise DnsRefused("domain")
            domain = find_domain(session, who, domain_ref)
            if record_id is None:
                raise DnsRefused("record_id")
            record = find_record(session, domain, record_id)
            if record.type not in ("A", "AAAA", "CNAME") or record.sub_domain.startswith("*"):
                raise DnsRefused("record_id")
            settings = rules.settings(
                raw, record.type, record.value, allow_private=self._allow_private, max_points=self.max_points
            )
            if (
                session.scalars(select(DMonitor.id).where(DMonitor.record_id == record.id)).first()
                is not None
            ):
                raise DnsRefused("exists")
            used = session.scalar(
                select(func.count()).select_from(DMonitor).where(DMonitor.team_id == domain.team_id)
            )
            if int(used or 0) >= self.max_monitors:
                raise DnsRefused("quota")
            name = domain.name if record.sub_domain == "@" else f"{record.sub_domain}.{domain.name}"
            monitor_id = self._insert_lookout_monitor(session, domain.team_id, settings, record, name)
            now = utcnow()
            row = DMonitor(
                team_id=domain.team_id,
                domain_id=domain.id,
                record_id=record.id,
                monitor_id=monitor_id,
                ip=record.value,
                now_ip=record.value,
                status="Ok",
                status_code=0,
                switch_state={},
                enabled=True,
                created_at=now,
                updated_at=now,
                **_columns(settings),
            )
            session.add(row)
            session.flush()
            _notify_limits(session, monitor_id, settings)
            return str(row.id), record.id

    async def modify(self, who: Principal, monitor_id: int, raw: MonitorInput) -> None:
        await asyncio.to_thread(self._modify, who, monitor_id, raw)

    def _modify(self, who: Principal, monitor_id: int, raw: MonitorInput) -> None:
        with transaction(self._sessions) as session:
            row = self._find(session, who, monitor_id)
            record = session.get(DnsRecord, row.record_id)
            assert record is not None
            settings = rules.settings(
                raw,
                record.type,
                row.ip,
                allow_private=self._allow_private,
                previous=self._previous(row),
                max_points=self.max_points,
            )
            for key, value in _columns(settings).items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            self._update_lookout_monitor(
                session, row, settings, self._connect_ip(record) and row.ip, row.enabled
            )
            if row.monitor_id is not None:
                _notify_limits(session, row.monitor_id, settings)

    async def remove(self, who: Principal, monitor_id: int) -> None:
        await self._publish(await asyncio.to_thread(self._remove, who, monitor_id))

    def _remove(self, who: Principal, monitor_id: int) -> RecordKey | None:
        """A switch still open is closed in the same transaction: the record gets its own
        IP and TTL back (published after the commit) as the monitor stops watching."""
        with transaction(self._sessions) as session:
            row = self._find(session, who, monitor_id)
            locked = switches.lock(session, row.id)
            assert locked is not None
            key = self._close(session, row, "D-Monitor removed")
            if row.monitor_id is not None:
                monitors_repo.delete_monitor(session, row.monitor_id)
            session.delete(row)
            return key

    def _close(self, session: Session, row: DMonitor, why: str) -> RecordKey | None:
        opened = switches.open_switch(session, row)
        what = "record resumed" if opened.paused and opened.switched_to is None else f"back to {row.ip}"
        closed = switches.close_switch(session, row, utcnow(), f"{why}; {what}")
        record = session.get(DnsRecord, row.record_id)
        if not closed.active or record is None:
            return None
        return record.domain_id, record.sub_domain, record.type

    async def _publish(self, key: RecordKey | None) -> None:
        if key is not None and self._publisher is not None:
            await self._publisher.publish(key[0], [(key[1], key[2])])

    async def set_status(self, who: Principal, monitor_id: int, status: str) -> None:
        await self._publish(await asyncio.to_thread(self._set_status, who, monitor_id, status))

    def _set_status(self, who: Principal, monitor_id: int, status: str) -> RecordKey | None:
        wanted = {"enabled": True, "enable": True, "disabled": False, "disable": False}.get(
            status.strip().lower()
        )
        with transaction(self._sessions) as session:
            row = self._find(session, who, monitor_id)
            if wanted is None:
                raise DnsRefused("status")
            if wanted:
                domain = session.get(DnsDomain, row.domain_id)
                record = session.get(DnsRecord, row.record_id)
                if domain is None or domain.status != "enable":
                    raise DnsRefused("domain_disabled")
                if record is None or not record.enabled:
                    raise DnsRefused("record_disabled")
            key = None
            if not wanted:
                switches.lock(session, row.id)
                key = self._close(session, row, "D-Monitor disabled")
            row.enabled, row.updated_at = wanted, utcnow()
            record = session.get(DnsRecord, row.record_id)
            connect_ip = row.ip if record is not None and record.type in ("A", "AAAA") else None
            self._update_lookout_monitor(session, row, self._previous(row), connect_ip, wanted)
            return key

    # -- reads --------------------------------------------------------------------------

    async def info(self, who: Principal, monitor_id: int) -> DMonitorView:
        return await asyncio.to_thread(self._info, who, monitor_id)

    def _info(self, who: Principal, monitor_id: int) -> DMonitorView:
        with self._sessions() as session:
            return self._view(session, self._find(session, who, monitor_id))

    async def listing(self, who: Principal, domain_ref: DomainRef | None = None) -> Sequence[DMonitorView]:
        return await asyncio.to_thread(self._list, who, domain_ref)

    def _list(self, who: Principal, domain_ref: DomainRef | None) -> Sequence[DMonitorView]:
        with self._sessions() as session:
            where: list[ColumnElement[bool]] = [DMonitor.team_id.in_(who.team_ids)]
            if domain_ref is not None:
                where.append(DMonitor.domain_id == find_domain(session, who, domain_ref).id)
            rows = session.scalars(
                select(DMonitor).where(*where).order_by(DMonitor.id).limit(self.max_monitors * 10)
            ).all()
            return [self._view(session, row) for row in rows]

    async def counts(self, who: Principal) -> MonitorCounts:
        views = await self.listing(who)
        return MonitorCounts(
            monitoring=sum(1 for view in views if view.enabled),
            not_monitoring=sum(1 for view in views if not view.enabled),
            down=sum(1 for view in views if view.enabled and view.status == "Down"),
            max_count=self.max_monitors,
        )

    async def subdomains(self, who: Principal, domain_ref: DomainRef) -> tuple[Any, list[str]]:
        return await asyncio.to_thread(self._subdomains, who, domain_ref)

    def _subdomains(self, who: Principal, domain_ref: DomainRef) -> tuple[Any, list[str]]:
        with self._sessions() as session:
            domain = find_domain(session, who, domain_ref)
            names = session.scalars(
                select(DnsRecord.sub_domain)
                .where(DnsRecord.domain_id == domain.id, DnsRecord.type.in_(("A", "AAAA", "CNAME")))
                .distinct()
                .order_by(DnsRecord.sub_domain)
            ).all()
            return domain_view(session, domain), [name for name in names if not name.startswith("*")]

    async def subvalues(
        self, who: Principal, domain_ref: DomainRef, sub_domain: str
    ) -> tuple[Any, list[RecordView], int]:
        return await asyncio.to_thread(self._subvalues, who, domain_ref, sub_domain)

    def _subvalues(
        self, who: Principal, domain_ref: DomainRef, sub_domain: str
    ) -> tuple[Any, list[RecordView], int]:
        with self._sessions() as session:
            domain = find_domain(session, who, domain_ref)
            rows = session.scalars(
                select(DnsRecord)
                .where(
                    DnsRecord.domain_id == domain.id,
                    same_name(DnsRecord.sub_domain, sub_domain),
                    DnsRecord.type.in_(("A", "AAAA", "CNAME")),
                )
                .order_by(DnsRecord.id)
            ).all()
            used = session.scalar(
                select(func.count()).select_from(DMonitor).where(DMonitor.team_id == domain.team_id)
            )
            balance = max(0, self.max_monitors - int(used or 0))
            return domain_view(session, domain), [record_view(row, "") for row in rows], balance

    async def history(
        self, who: Principal, monitor_id: int, hours: int
    ) -> tuple[DMonitorView, list[PointHistory]]:
        return await asyncio.to_thread(self._history, who, monitor_id, hours)

    def _history(
        self, who: Principal, monitor_id: int, hours: int
    ) -> tuple[DMonitorView, list[PointHistory]]:
        with self._sessions() as session:
            row = self._find(session, who, monitor_id)
            view = self._view(session, row)
            samples: tuple[Sample, ...] = ()
            if row.monitor_id is not None:
                since = utcnow() - timedelta(hours=max(1, min(hours, MAX_HISTORY_HOURS)))
                runs = session.execute(
                    select(CheckRun.result, CheckRun.details, CheckRun.started_at, CheckRun.total_ms)
                    .join(Check, Check.id == CheckRun.check_id)
                    .where(
                        Check.monitor_id == row.monitor_id,
                        Check.type == CheckType.UPTIME.value,
                        CheckRun.started_at >= since,
                    )
                    .order_by(CheckRun.started_at.desc())
                    .limit(MAX_HISTORY_SAMPLES)
                ).all()
                samples = tuple(
                    Sample(
                        status={"succeeded": "Ok", "warning": "Warn"}.get(result, "Down"),
                        status_code=_status_code(details),
                        at=started,
                        response_ms=int(total or 0) if result in ("succeeded", "warning") else 0,
                    )
                    for result, details, started, total in runs
                )
            # Every point maps to this instance's location: each shows that location's samples.
            return view, [PointHistory(point, samples) for point in row.points.split(",")]

    async def downs(self, who: Principal, offset: int, length: int) -> tuple[int, list[DownView]]:
        return await asyncio.to_thread(self._downs, who, offset, length)

    def _downs(self, who: Principal, offset: int, length: int) -> tuple[int, list[DownView]]:
        with self._sessions() as session:
            where = DMonitorDown.team_id.in_(who.team_ids)
            total = int(session.scalar(select(func.count()).select_from(DMonitorDown).where(where)) or 0)
            rows = session.scalars(
                select(DMonitorDown)
                .where(where)
                .order_by(DMonitorDown.id.desc())
                .offset(offset)
                .limit(min(length, MAX_DOWNS_PAGE))
            ).all()
            return total, [
                DownView(
                    id=row.id,
                    d_monitor_id=row.d_monitor_id,
                    host=row.host,
                    record_line=row.record_line,
                    ip=row.ip,
                    warn_reason=row.warn_reason,
                    switch_log=tuple(row.switch_log or ()),
                    created_at=row.created_at,
                    recovered_at=row.recovered_at,
                )
                for row in rows
            ]


def _status_code(details: Any) -> int:
    """The last HTTP status, or DNSPod's negative transport codes (D5)."""
    if not isinstance(details, dict):
        return 0
    status = details.get("status_code")
    if isinstance(status, int):
        return status
    kind = str(details.get("error_kind", ""))
    if "timeout" in kind or "timed" in kind:
        return -3
    if "tls" in kind or "ssl" in kind or "certificate" in kind:
        return -4
    if "dns" in kind or "resolve" in kind or "unreachable" in kind:
        return -2
    return -1 if kind else 0


def _notify_limits(session: Session, monitor_id: int, settings: MonitorSettings) -> None:
    """email_notice and sms_notice both empty: nobody is told of this monitor; less_notice:
    each destination is told at most once an hour (notify's generic per-monitor limits)."""
    muted = not settings.email_notice and not settings.sms_notice
    notify_repo.set_monitor_limits(session, monitor_id, muted, 1 if settings.less_notice else None)


def _backup_statuses(row: DMonitor) -> tuple[tuple[str, str], ...]:
    """Each backup IP with its last probe's verdict (Ok, Warn, Down), `Unknown` before the
    first probe."""
    if row.bak_ip in rules.MODES:
        return ()
    health = row.backup_health or {}
    statuses = []
    for ip in (part.strip() for part in row.bak_ip.split(",")):
        seen = health.get(ip)
        status = seen.get("status") if isinstance(seen, dict) else None
        statuses.append((ip, status if status in ("Ok", "Warn", "Down") else "Unknown"))
    return tuple(statuses)


def _columns(settings: MonitorSettings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "monitor_type": settings.monitor_type,
        "monitor_path": settings.monitor_path,
        "monitor_interval": settings.monitor_interval,
        "points": settings.points,
        "bak_ip": settings.bak_ip,
        "keep_ttl": settings.keep_ttl,
        "sms_notice": settings.sms_notice,
        "email_notice": settings.email_notice,
        "less_notice": settings.less_notice,
        "callback_url": settings.callback_url,
        "callback_key": settings.callback_key,
    }


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
