"""Lookout's own record table as a DNS back end: the embedded default.

An RRset replaces the enabled records of one name and type in the domain's table. Rows keep
their ids where they can: a value still wanted keeps its row, a row whose value left the
set takes one of the new values (so a record switched to a backup IP is the same record,
as Record.Info shows it), rows left over are paused (disabled, never deleted: they are the
user's), and values left over become new records on the default line.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.failover.base import ChangeSet, DnsProviderError, RecordSet, normalise_name
from lookout.store.db import transaction
from lookout.store.tables.dns import DnsDomain, DnsRecord

DEFAULT_LINE = "默认"


def sub_domain_of(name: str, zone: str) -> str:
    name, zone = normalise_name(name), normalise_name(zone)
    return "@" if name == zone else name[: -len(zone) - 1]


def record_set_of(rows: list[DnsRecord], name: str, rtype: str) -> RecordSet | None:
    enabled = [row for row in rows if row.enabled]
    if not enabled:
        return None
    return RecordSet.of(name, rtype, min(row.ttl for row in enabled), [row.value for row in enabled])


class RecordsProvider:
    name = "records"

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def apply(self, change: ChangeSet) -> None:
        await asyncio.to_thread(self._apply, change)

    async def read(self, zone: str, name: str, rtype: str) -> RecordSet | None:
        return await asyncio.to_thread(self._read, zone, name, rtype)

    def _domain(self, session: Session, zone: str) -> DnsDomain:
        domain = session.scalars(select(DnsDomain).where(DnsDomain.name == normalise_name(zone))).first()
        if domain is None:
            raise DnsProviderError(f"no domain {zone} in the record table")
        return domain

    @staticmethod
    def _rows(session: Session, domain_id: int, sub_domain: str, rtype: str) -> list[DnsRecord]:
        query = (
            select(DnsRecord)
            .where(
                DnsRecord.domain_id == domain_id, DnsRecord.sub_domain == sub_domain, DnsRecord.type == rtype
            )
            .order_by(DnsRecord.id)
        )
        return list(session.scalars(query))

    def _read(self, zone: str, name: str, rtype: str) -> RecordSet | None:
        with self._sessions() as session:
            domain = self._domain(session, zone)
            rows = self._rows(session, domain.id, sub_domain_of(name, zone), rtype.upper())
            return record_set_of(rows, name, rtype)

    def _apply(self, change: ChangeSet) -> None:
        now = datetime.now(UTC)
        with transaction(self._sessions) as session:
            domain = self._domain(session, change.zone)
            for record_set in change.sets:
                rows = self._rows(
                    session, domain.id, sub_domain_of(record_set.name, change.zone), record_set.type
                )
                self._replace(session, domain.id, rows, record_set, now)

    @staticmethod
    def _replace(
        session: Session, domain_id: int, rows: list[DnsRecord], wanted: RecordSet, now: datetime
    ) -> None:
        missing = list(wanted.values)
        spare: list[DnsRecord] = []
        for row in rows:
            normal = RecordSet.of(wanted.name, wanted.type, 1, [row.value]).values[0]
            if normal in missing:
                missing.remove(normal)
                row.enabled, row.ttl = True, wanted.ttl
                row.updated_at = now
            else:
                spare.append(row)
        # Enabled rows first: a switched record keeps its id and stays the one that serves.
        spare.sort(key=lambda row: (not row.enabled, row.id))
        for row in spare:
            if missing:
                row.value, row.enabled, row.ttl = missing.pop(0), True, wanted.ttl
            else:
                row.enabled = False
            row.updated_at = now
        sub_domain = rows[0].sub_domain if rows else None
        for value in missing:
            session.add(
                DnsRecord(
                    domain_id=domain_id,
                    sub_domain=sub_domain or sub_domain_of(wanted.name, _zone_of(session, domain_id)),
                    type=wanted.type,
                    line=DEFAULT_LINE,
                    value=value,
                    ttl=wanted.ttl,
                    mx=0,
                    enabled=True,
                    remark="",
                    created_at=now,
                    updated_at=now,
                )
            )


def _zone_of(session: Session, domain_id: int) -> str:
    domain = session.get(DnsDomain, domain_id)
    assert domain is not None
    return domain.name
