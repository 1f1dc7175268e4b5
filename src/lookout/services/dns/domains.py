"""Domains: created in the caller's team, one owner team per name, seen only by its team."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import ColumnElement, SQLColumnExpression, false, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.failover.base import ChangeSet, DnsProviderError, RecordSet
from lookout.services.dns import rules
from lookout.services.dns.errors import DnsRefused
from lookout.services.dns.publish import PUBLISHED_TYPES, Publisher, fqdn, log
from lookout.services.dns.views import DomainView
from lookout.services.tokens import Principal
from lookout.store.db import transaction, utcnow
from lookout.store.tables.dns import DnsDomain, DnsRecord
from lookout.store.tables.identity import User

DomainRef = int | str
MAX_PAGE = 500


def same_name(column: SQLColumnExpression[str], text: str) -> ColumnElement[bool]:
    """`column` equals the typed name (trimmed, lower case). A NUL matches nothing: no stored
    name holds one, and PostgreSQL refuses it in a query."""
    return false() if "\x00" in text else column == text.strip().lower()


def containing(keyword: str, *columns: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """Any of `columns` contains the keyword (case-insensitive; LIKE's wildcards and escape
    dropped from it); a NUL matches nothing, as in `same_name`."""
    if "\x00" in keyword:
        return false()
    pattern = "%" + keyword.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
    return or_(*(column.like(pattern) for column in columns))


def home_team(who: Principal) -> int:
    """The team new domains go to: the first the caller owns, else their first."""
    owned = [team.id for team in who.teams if team.role == "Owner"]
    if owned:
        return owned[0]
    if who.teams:
        return who.teams[0].id
    raise DnsRefused("permission", "the caller belongs to no team")


def find_domain(session: Session, who: Principal, ref: DomainRef) -> DnsDomain:
    """The caller's domain by id or name; another team's domain is as missing as none."""
    if isinstance(ref, int):
        domain = session.get(DnsDomain, ref)
    else:
        try:
            name = rules.domain_name(ref)
        except ValueError:
            raise DnsRefused("domain") from None
        domain = session.scalars(select(DnsDomain).where(DnsDomain.name == name)).first()
    if domain is None or domain.team_id not in who.team_ids:
        raise DnsRefused("domain")
    return domain


def domain_view(session: Session, domain: DnsDomain) -> DomainView:
    count = session.scalar(
        select(func.count()).select_from(DnsRecord).where(DnsRecord.domain_id == domain.id)
    )
    owner = session.get(User, domain.owner_user_id) if domain.owner_user_id else None
    return DomainView(
        id=domain.id,
        name=domain.name,
        display_name=domain.display_name,
        status=domain.status,
        ttl=domain.ttl,
        remark=domain.remark,
        records=int(count or 0),
        owner=owner.email if owner else "",
        user_id=domain.owner_user_id,
        created_at=domain.created_at,
        updated_at=domain.updated_at,
    )


class DomainService:
    def __init__(self, sessions: sessionmaker[Session], publisher: Publisher) -> None:
        self._sessions = sessions
        self._publisher = publisher

    async def create(self, who: Principal, name: str) -> DomainView:
        return await asyncio.to_thread(self._create, who, name)

    def _create(self, who: Principal, name: str) -> DomainView:
        try:
            ascii_name = rules.domain_name(name)
        except ValueError:
            raise DnsRefused("domain") from None
        with transaction(self._sessions) as session:
            existing = session.scalars(select(DnsDomain).where(DnsDomain.name == ascii_name)).first()
            if existing is not None:
                raise DnsRefused("exists" if existing.team_id in who.team_ids else "exists_elsewhere")
            now = utcnow()
            domain = DnsDomain(
                team_id=home_team(who),
                owner_user_id=who.user_id,
                name=ascii_name,
                display_name=rules.display_name(ascii_name),
                status="enable",
                ttl=600,
                remark="",
                created_at=now,
                updated_at=now,
            )
            session.add(domain)
            session.flush()
            return domain_view(session, domain)

    async def page(
        self, who: Principal, offset: int, length: int, keyword: str = ""
    ) -> tuple[int, Sequence[DomainView]]:
        return await asyncio.to_thread(self._list, who, offset, length, keyword)

    def _list(
        self, who: Principal, offset: int, length: int, keyword: str
    ) -> tuple[int, Sequence[DomainView]]:
        with self._sessions() as session:
            where: list[ColumnElement[bool]] = [DnsDomain.team_id.in_(who.team_ids)]
            if keyword:
                where.append(containing(keyword, DnsDomain.name, DnsDomain.display_name))
            total = int(session.scalar(select(func.count()).select_from(DnsDomain).where(*where)) or 0)
            rows = session.scalars(
                select(DnsDomain)
                .where(*where)
                .order_by(DnsDomain.id)
                .offset(offset)
                .limit(min(length, MAX_PAGE))
            ).all()
            return total, [domain_view(session, row) for row in rows]

    async def get(self, who: Principal, ref: DomainRef) -> DomainView:
        return await asyncio.to_thread(self._get, who, ref)

    def _get(self, who: Principal, ref: DomainRef) -> DomainView:
        with self._sessions() as session:
            return domain_view(session, find_domain(session, who, ref))

    async def remove(self, who: Principal, ref: DomainRef) -> None:
        keys = await asyncio.to_thread(self._remove, who, ref)
        if keys is not None:
            zone, record_keys = keys
            await self._publish_removal(zone, record_keys)

    def _remove(self, who: Principal, ref: DomainRef) -> tuple[str, list[tuple[str, str]]] | None:
        with transaction(self._sessions) as session:
            domain = find_domain(session, who, ref)
            keys = session.execute(
                select(DnsRecord.sub_domain, DnsRecord.type)
                .where(DnsRecord.domain_id == domain.id)
                .distinct()
            ).all()
            zone = domain.name
            session.delete(domain)
            return zone, [(sub, rtype) for sub, rtype in keys]

    async def _publish_removal(self, zone: str, keys: list[tuple[str, str]]) -> None:
        provider = self._publisher.provider
        sets = tuple(
            RecordSet.of(fqdn(sub, zone), rtype, 1, []) for sub, rtype in keys if rtype in PUBLISHED_TYPES
        )
        if provider is None or not sets:
            return
        try:
            await provider.apply(ChangeSet(zone, sets))
        except DnsProviderError as exc:
            log.warning("removing %s from %s failed: %s", zone, provider.name, exc)

    async def set_status(self, who: Principal, ref: DomainRef, status: str) -> DomainView:
        view, keys = await asyncio.to_thread(self._set_status, who, ref, status)
        await self._publisher.publish(view.id, keys)
        return view

    def _set_status(
        self, who: Principal, ref: DomainRef, status: str
    ) -> tuple[DomainView, list[tuple[str, str]]]:
        wanted = {"enable": "enable", "enabled": "enable", "disable": "pause", "disabled": "pause"}.get(
            status
        )
        if wanted is None:
            raise DnsRefused("status")
        with transaction(self._sessions) as session:
            domain = find_domain(session, who, ref)
            domain.status, domain.updated_at = wanted, utcnow()
            keys = session.execute(
                select(DnsRecord.sub_domain, DnsRecord.type)
                .where(DnsRecord.domain_id == domain.id)
                .distinct()
            ).all()
            session.flush()
            return domain_view(session, domain), [(sub, rtype) for sub, rtype in keys]
