"""What the domain check last read about a monitor's domain (A14 `GET /monitors/{id}/domain`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError
from lookout.services.tokens import Principal
from lookout.store.repositories import app_checks as repo
from lookout.store.repositories import monitors as monitors_repo


@dataclass(frozen=True, slots=True)
class DomainView:
    """All None until the domain check has read something."""

    domain: str | None = None
    expires_at: datetime | None = None
    registered_at: datetime | None = None
    last_changed_at: datetime | None = None
    last_updated_in_rdap_db_at: datetime | None = None
    domain_statuses: list[str] = field(default_factory=list)
    registrar: str | None = None
    nameservers: list[str] = field(default_factory=list)
    source: str | None = None
    response: dict[str, Any] = field(default_factory=dict)
    not_supported_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DomainRegistrationService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, who: Principal, monitor_id: int) -> DomainView:
        with self._sessions() as session:
            if monitors_repo.monitor_row(session, monitor_id, who.team_ids) is None:
                raise NotFoundError("Monitor not found.")
            row = repo.domain_registration(session, monitor_id)
            if row is None:
                return DomainView()
            return DomainView(
                domain=row.domain,
                expires_at=row.expires_at,
                registered_at=row.registered_at,
                last_changed_at=row.last_changed_at,
                last_updated_in_rdap_db_at=row.last_updated_in_rdap_db_at,
                domain_statuses=list(row.domain_statuses or []),
                registrar=row.registrar,
                nameservers=list(row.nameservers or []),
                source=row.source,
                response=dict(row.response or {}),
                not_supported_reason=row.not_supported_reason,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
