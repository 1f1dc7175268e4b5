"""Mirrors record changes to the configured DNS provider after they are stored.

The record table is the truth; the provider only publishes it. A provider that fails is
logged and the stored change stands: the next change of the same name publishes the whole
set again (changes are whole RRsets), so nothing is left half-applied for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.failover.base import ChangeSet, DnsProvider, DnsProviderError, RecordSet
from lookout.store.tables.dns import DnsDomain, DnsRecord

log = logging.getLogger(__name__)

PUBLISHED_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "TXT", "NS"})


def fqdn(sub_domain: str, zone: str) -> str:
    return zone if sub_domain == "@" else f"{sub_domain}.{zone}"


class Publisher:
    def __init__(self, sessions: sessionmaker[Session], provider: DnsProvider | None) -> None:
        self._sessions = sessions
        self.provider = provider

    def change_set(self, domain_id: int, keys: Iterable[tuple[str, str]]) -> ChangeSet | None:
        """The whole RRsets of the given (sub_domain, type) keys as the table has them now."""
        with self._sessions() as session:
            domain = session.get(DnsDomain, domain_id)
            if domain is None:
                return None
            sets = []
            for sub, rtype in sorted(set(keys)):
                if rtype not in PUBLISHED_TYPES:
                    continue
                rows = session.scalars(
                    select(DnsRecord).where(
                        DnsRecord.domain_id == domain_id,
                        DnsRecord.sub_domain == sub,
                        DnsRecord.type == rtype,
                        DnsRecord.enabled.is_(True),
                    )
                ).all()
                live = domain.status == "enable"
                values = [self._wire(row) for row in rows] if live else []
                ttl = min((row.ttl for row in rows), default=domain.ttl)
                sets.append(RecordSet.of(fqdn(sub, domain.name), rtype, ttl, values))
            return ChangeSet(domain.name, tuple(sets)) if sets else None

    @staticmethod
    def _wire(row: DnsRecord) -> str:
        return f"{row.mx} {row.value}" if row.type == "MX" else row.value

    async def publish(self, domain_id: int, keys: Iterable[tuple[str, str]]) -> None:
        if self.provider is None:
            return
        change = await asyncio.to_thread(self.change_set, domain_id, list(keys))
        if change is None:
            return
        try:
            await self.provider.apply(change)
        except DnsProviderError as exc:
            log.warning("publishing %s to %s failed: %s", change.zone, self.provider.name, exc)
