"""Records of a domain: the source of truth DNS failover switches and providers publish."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.services.dns import rules, switches
from lookout.services.dns.domains import DomainRef, containing, domain_view, find_domain, same_name
from lookout.services.dns.errors import DnsRefused
from lookout.services.dns.publish import Publisher
from lookout.services.dns.views import RecordPage, RecordView
from lookout.services.tokens import Principal
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.tables.dns import DMonitor, DnsDomain, DnsRecord

MAX_RECORDS_PER_DOMAIN = 3000
MAX_PAGE = 3000
# Types that may not share a name with a CNAME.
_EXCLUSIVE = "CNAME"


@dataclass(frozen=True, slots=True)
class RecordInput:
    """What Record.Create and Record.Modify send, as text (the service checks it)."""

    sub_domain: str = "@"
    record_type: str = ""
    record_line: str = ""
    record_line_id: str = ""
    value: str = ""
    mx: str = ""
    ttl: str = ""
    status: str = ""
    weight: str = ""


@dataclass(frozen=True, slots=True)
class CleanRecord:
    sub_domain: str
    type: str
    line: str
    value: str
    ttl: int
    mx: int
    weight: int | None
    enabled: bool


def clean(raw: RecordInput, default_ttl: int) -> CleanRecord:
    """Each field checked in DNSPod's order; the reason is the first field that fails."""
    try:
        sub = rules.sub_domain(raw.sub_domain)
    except ValueError:
        raise DnsRefused("sub_domain") from None
    rtype = raw.record_type.strip().upper()
    if rtype not in rules.RECORD_TYPES:
        raise DnsRefused("record_type")
    try:
        line = (
            rules.line_id(raw.record_line_id) if raw.record_line_id.strip() else rules.line(raw.record_line)
        )
    except ValueError:
        raise DnsRefused("record_line") from None
    mx = 0
    if rtype == "MX":
        try:
            mx = rules.int_in(raw.mx or "10", 1, 20)
        except ValueError:
            raise DnsRefused("mx") from None
    try:
        ttl = rules.ttl(raw.ttl) if raw.ttl.strip() else default_ttl
    except ValueError:
        raise DnsRefused("ttl") from None
    try:
        value = rules.record_value(rtype, raw.value)
    except ValueError:
        raise DnsRefused("value") from None
    weight = None
    if raw.weight.strip():
        try:
            weight = rules.int_in(raw.weight, 0, 100)
        except ValueError:
            raise DnsRefused("weight") from None
    status = raw.status.strip().lower() or "enable"
    if status not in ("enable", "disable"):
        raise DnsRefused("status")
    return CleanRecord(sub, rtype, line, value, ttl, mx, weight, status == "enable")


def record_view(row: DnsRecord, monitor_status: str) -> RecordView:
    return RecordView(
        id=row.id,
        domain_id=row.domain_id,
        sub_domain=row.sub_domain,
        type=row.type,
        line=row.line,
        value=row.value,
        ttl=row.ttl,
        mx=row.mx,
        weight=row.weight,
        enabled=row.enabled,
        remark=row.remark,
        monitor_status=monitor_status,
        updated_at=row.updated_at,
    )


def monitor_statuses(session: Session, record_ids: Sequence[int]) -> dict[int, str]:
    if not record_ids:
        return {}
    rows = session.execute(
        select(DMonitor.record_id, DMonitor.status, DMonitor.enabled).where(
            DMonitor.record_id.in_(record_ids)
        )
    ).all()
    return {record_id: status for record_id, status, _enabled in rows}


def find_record(session: Session, domain: DnsDomain, record_id: int) -> DnsRecord:
    row = session.get(DnsRecord, record_id)
    if row is None or row.domain_id != domain.id:
        raise DnsRefused("record_id")
    return row


class RecordService:
    def __init__(self, sessions: sessionmaker[Session], publisher: Publisher) -> None:
        self._sessions = sessions
        self._publisher = publisher

    # -- reads ----------------------------------------------------------------------

    async def page(
        self,
        who: Principal,
        ref: DomainRef,
        offset: int,
        length: int,
        sub_domain: str = "",
        keyword: str = "",
    ) -> RecordPage:
        return await asyncio.to_thread(self._list, who, ref, offset, length, sub_domain, keyword)

    def _list(
        self, who: Principal, ref: DomainRef, offset: int, length: int, sub_domain: str, keyword: str
    ) -> RecordPage:
        with self._sessions() as session:
            domain = find_domain(session, who, ref)
            where: list[ColumnElement[bool]] = [DnsRecord.domain_id == domain.id]
            if sub_domain:
                where.append(same_name(DnsRecord.sub_domain, sub_domain))
            if keyword:
                where.append(containing(keyword, DnsRecord.sub_domain, DnsRecord.value))
            total = int(session.scalar(select(func.count()).select_from(DnsRecord).where(*where)) or 0)
            subs = int(
                session.scalar(
                    select(func.count(DnsRecord.sub_domain.distinct())).where(
                        DnsRecord.domain_id == domain.id
                    )
                )
                or 0
            )
            rows = session.scalars(
                select(DnsRecord)
                .where(*where)
                .order_by(DnsRecord.id)
                .offset(offset)
                .limit(min(length, MAX_PAGE))
            ).all()
            statuses = monitor_statuses(session, [row.id for row in rows])
            records = tuple(record_view(row, statuses.get(row.id, "")) for row in rows)
            return RecordPage(domain_view(session, domain), total, subs, records)

    async def info(self, who: Principal, ref: DomainRef, record_id: int) -> tuple[RecordView, str]:
        """The record and its domain's name."""
        return await asyncio.to_thread(self._info, who, ref, record_id)

    def _info(self, who: Principal, ref: DomainRef, record_id: int) -> tuple[RecordView, str]:
        with self._sessions() as session:
            domain = find_domain(session, who, ref)
            row = find_record(session, domain, record_id)
            return record_view(row, monitor_statuses(session, [row.id]).get(row.id, "")), domain.name

    # -- writes ---------------------------------------------------------------------

    async def create(self, who: Principal, ref: DomainRef, raw: RecordInput) -> RecordView:
        view = await asyncio.to_thread(self._create, who, ref, raw)
        await self._publisher.publish(view.domain_id, [(view.sub_domain, view.type)])
        return view

    def _create(self, who: Principal, ref: DomainRef, raw: RecordInput) -> RecordView:
        with transaction(self._sessions) as session:
            domain = find_domain(session, who, ref)
            record = clean(raw, domain.ttl)
            count = session.scalar(
                select(func.count()).select_from(DnsRecord).where(DnsRecord.domain_id == domain.id)
            )
            if int(count or 0) >= MAX_RECORDS_PER_DOMAIN:
                raise DnsRefused("limit")
            self._check_conflicts(session, domain.id, record, None)
            now = utcnow()
            row = DnsRecord(
                domain_id=domain.id,
                sub_domain=record.sub_domain,
                type=record.type,
                line=record.line,
                value=record.value,
                ttl=record.ttl,
                mx=record.mx,
                weight=record.weight,
                enabled=record.enabled,
                remark="",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return record_view(row, "")

    async def modify(self, who: Principal, ref: DomainRef, record_id: int, raw: RecordInput) -> RecordView:
        view, old_key = await asyncio.to_thread(self._modify, who, ref, record_id, raw)
        await self._publisher.publish(view.domain_id, [old_key, (view.sub_domain, view.type)])
        return view

    def _modify(
        self, who: Principal, ref: DomainRef, record_id: int, raw: RecordInput
    ) -> tuple[RecordView, tuple[str, str]]:
        with transaction(self._sessions) as session:
            domain = find_domain(session, who, ref)
            row = find_record(session, domain, record_id)
            record = clean(raw if raw.status.strip() else _keep_status(raw, row.enabled), row.ttl)
            self._check_conflicts(session, domain.id, record, row.id)
            monitored = session.scalars(select(DMonitor).where(DMonitor.record_id == row.id)).first()
            if monitored is not None and record.type not in rules.MONITORABLE_TYPES:
                raise DnsRefused("record_type")
            opened = None
            if monitored is not None:
                switches.lock(session, monitored.id)
                opened = switches.open_switch(session, monitored)
            old_key = (row.sub_domain, row.type)
            row.sub_domain, row.type, row.line, row.value = (
                record.sub_domain,
                record.type,
                record.line,
                record.value,
            )
            row.ttl, row.mx, row.weight, row.enabled = record.ttl, record.mx, record.weight, record.enabled
            row.updated_at = utcnow()
            if monitored is not None and opened is not None:
                _follow(session, monitored, row, raw, opened)
            session.flush()
            statuses = monitor_statuses(session, [row.id])
            return record_view(row, statuses.get(row.id, "")), old_key

    async def remove(self, who: Principal, ref: DomainRef, record_id: int) -> None:
        domain_id, key = await asyncio.to_thread(self._remove, who, ref, record_id)
        await self._publisher.publish(domain_id, [key])

    def _remove(self, who: Principal, ref: DomainRef, record_id: int) -> tuple[int, tuple[str, str]]:
        with transaction(self._sessions) as session:
            domain = find_domain(session, who, ref)
            row = find_record(session, domain, record_id)
            key = (row.sub_domain, row.type)
            monitor = session.scalars(select(DMonitor).where(DMonitor.record_id == row.id)).first()
            if monitor is not None and monitor.monitor_id is not None:
                monitors_repo.delete_monitor(session, monitor.monitor_id)
            session.delete(row)
            return domain.id, key

    async def set_status(self, who: Principal, ref: DomainRef, record_id: int, status: str) -> RecordView:
        view = await asyncio.to_thread(self._set_status, who, ref, record_id, status)
        await self._publisher.publish(view.domain_id, [(view.sub_domain, view.type)])
        return view

    def _set_status(self, who: Principal, ref: DomainRef, record_id: int, status: str) -> RecordView:
        wanted = {"enable": True, "disable": False, "enabled": True, "disabled": False}.get(
            status.strip().lower()
        )
        with transaction(self._sessions) as session:
            domain = find_domain(session, who, ref)
            row = find_record(session, domain, record_id)
            if wanted is None:
                raise DnsRefused("status")
            row.enabled, row.updated_at = wanted, utcnow()
            session.flush()
            return record_view(row, monitor_statuses(session, [row.id]).get(row.id, ""))

    @staticmethod
    def _check_conflicts(session: Session, domain_id: int, record: CleanRecord, own_id: int | None) -> None:
        others = session.execute(
            select(DnsRecord.type, DnsRecord.value, DnsRecord.id).where(
                DnsRecord.domain_id == domain_id,
                DnsRecord.sub_domain == record.sub_domain,
                DnsRecord.line == record.line,
            )
        ).all()
        others = [row for row in others if row[2] != own_id]
        if record.type == _EXCLUSIVE and others:
            raise DnsRefused("conflict")
        if record.type != _EXCLUSIVE and any(rtype == _EXCLUSIVE for rtype, _, _ in others):
            raise DnsRefused("conflict")
        if any(rtype == record.type and value == record.value for rtype, value, _ in others):
            raise DnsRefused("duplicate")


def _follow(
    session: Session, monitored: DMonitor, row: DnsRecord, raw: RecordInput, opened: switches.OpenSwitch
) -> None:
    """The owner's edit is the new truth for the D-Monitor of the record.

    - Sending back what failover serves (the backup IP it switched to, or a record it
      paused left as it is, without `status`) keeps the switch: it is not the owner's
      choice of IP. A `ttl` sent then becomes the TTL restored when it switches back.
    - Anything else closes an open switch: pending intents are cancelled, the outage is
      closed with a switch-log line; the owner's value stands, and what they did not send
      is the record's own (the TTL failover lowered, the record it paused is enabled).
    - A new IP is watched from now: the D-Monitor's `ip`/`now_ip` and its uptime check's
      `connect_ip` follow, the check runs at once, and the check's verdicts from before
      (about the old IP) are not acted on (`ip_since`). An outage of the old IP still
      open is closed; if the new IP is down too, failover opens a new one.
    """
    now = utcnow()
    ttl_sent, status_sent = bool(raw.ttl.strip()), bool(raw.status.strip())
    if opened.active:
        served = opened.switched_to if opened.switched_to is not None else monitored.ip
        if row.value == served and not status_sent:
            if ttl_sent and opened.original_ttl is not None:
                monitored.switch_state = {**(monitored.switch_state or {}), "original_ttl": row.ttl}
            return
        restore: dict[str, object] = {}
        if not ttl_sent and opened.original_ttl is not None:
            restore["ttl"] = opened.original_ttl
        if not status_sent and opened.paused:
            restore["enabled"] = True
        switches.close_switch(
            session,
            monitored,
            now,
            f"record set to {row.value} by its owner; switch closed",
            record_values=restore,
        )
    if row.value != monitored.ip:
        old_ip = monitored.ip
        # An outage of the old IP still open ends here for this record; a new IP found down
        # opens its own (the failover consumer sees its first runs).
        switches.end_outage(session, monitored, now, f"record moved to {row.value} by its owner")
        monitored.ip = monitored.now_ip = row.value
        # To the microsecond: a run that started in this second may still be the old IP's.
        monitored.ip_since = datetime.now(UTC)
        monitored.updated_at = now
        connect_ip = row.value if row.type in ("A", "AAAA") else None
        switches.retarget_check(session, monitored.monitor_id, old_ip, connect_ip, now)


def _keep_status(raw: RecordInput, enabled: bool) -> RecordInput:
    return replace(raw, status="enable" if enabled else "disable")
