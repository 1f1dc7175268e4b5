"""Certificate health for a monitor's owners: the latest run's verdict and every certificate
the check has seen. Another team's monitor, or a monitor without the check, is not found.

Whether the certificate changed is judged here, from the findings the engine keeps: the run's
certificate was first seen by that run while another had been seen before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.certificate_health.rules import CertCheck
from lookout.errors import NotFoundError
from lookout.services.tokens import Principal
from lookout.services.views import Page
from lookout.store.db import utcnow
from lookout.store.repositories import certificates as repo
from lookout.store.repositories import monitors as monitors_repo


@dataclass(frozen=True, slots=True)
class CertificateCheckView:
    type: str
    label: str
    passed: bool


@dataclass(frozen=True, slots=True)
class CertificateHealthView:
    """The latest run's view of the certificate; all empty before the first run."""

    issuer: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    checks: Sequence[CertificateCheckView]
    chain_issuers: Sequence[str]
    result: str | None
    summary: str | None
    checked_at: datetime | None


@dataclass(frozen=True, slots=True)
class DetectedCertificateView:
    id: int
    monitor_id: int
    fingerprint: str
    issuer: str
    domain: str
    additional_domains: Sequence[str]
    valid_from: datetime | None
    valid_until: datetime | None
    days_until_expiration: int | None
    signature_algorithm: str
    is_valid: bool
    is_expired: bool
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


class CertificateService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def health(self, who: Principal, monitor_id: int) -> CertificateHealthView:
        with self._sessions() as session:
            check_id = self._check_id(session, who, monitor_id)
            run = repo.latest_run(session, check_id)
            if run is None:
                return CertificateHealthView(None, None, None, (), (), None, None, None)
            details: Mapping[str, Any] = run.details if isinstance(run.details, Mapping) else {}
            # The facts are the payload of the run's finding; runs stored before 2026-12-01
            # carry them in their details.
            stored = details.get("certificate")
            if isinstance(stored, Mapping):
                fingerprint = stored.get("fingerprint")
            else:
                fingerprint = details.get("certificate_fingerprint")
            found = None
            if isinstance(fingerprint, str):
                found = repo.finding_by_key(session, check_id, fingerprint)
            certificate = stored if isinstance(stored, Mapping) else _payload_of(found)
            changed = self._changed(session, check_id, found, run.started_at)
            checks = [
                CertificateCheckView(
                    str(item.get("type")),
                    str(item.get("label")),
                    not changed if item.get("type") == CertCheck.CHANGED else bool(item.get("passed")),
                )
                for item in _dicts(details.get("certificate_checks"))
            ]
            return CertificateHealthView(
                issuer=_text(certificate.get("issuer")),
                valid_from=_instant(certificate.get("valid_from")),
                valid_until=_instant(certificate.get("valid_until")),
                checks=checks,
                chain_issuers=[str(line) for line in _list(certificate.get("chain_issuers"))],
                result=run.result,
                summary=run.summary,
                checked_at=run.started_at,
            )

    def detected(
        self, who: Principal, monitor_id: int, page: int, size: int
    ) -> Page[DetectedCertificateView]:
        """Every certificate the check has seen, the latest first seen first."""
        with self._sessions() as session:
            check_id = self._check_id(session, who, monitor_id)
            rows, total = repo.findings_page(session, check_id, (page - 1) * size, size)
            now = self._clock()
            return Page([_detected(row, monitor_id, now) for row in rows], total)

    def detected_one(self, who: Principal, monitor_id: int, certificate_id: int) -> DetectedCertificateView:
        with self._sessions() as session:
            check_id = self._check_id(session, who, monitor_id)
            row = repo.finding(session, check_id, certificate_id)
            if row is None:
                raise NotFoundError("Certificate not found.")
            return _detected(row, monitor_id, self._clock())

    @staticmethod
    def _check_id(session: Session, who: Principal, monitor_id: int) -> int:
        if monitors_repo.monitor_row(session, monitor_id, who.team_ids) is None:
            raise NotFoundError("Monitor not found.")
        check_id = repo.certificate_check_id(session, monitor_id)
        if check_id is None:
            raise NotFoundError("The monitor has no certificate health check.")
        return check_id

    @staticmethod
    def _changed(session: Session, check_id: int, found: Any, run_started: datetime) -> bool:
        """The run's certificate (its finding, `found`) was new in that run, and another one
        had been seen before."""
        if found is None or found.first_seen_at < run_started:
            return False
        return repo.seen_another_before(session, check_id, found.key, found.first_seen_at)


def _payload_of(finding: Any) -> Mapping[str, Any]:
    payload = None if finding is None else finding.payload
    return payload if isinstance(payload, Mapping) else {}


def _detected(row: Any, monitor_id: int, now: datetime) -> DetectedCertificateView:
    payload = _payload_of(row)
    valid_from = _instant(payload.get("valid_from"))
    valid_until = _instant(payload.get("valid_until"))
    expired = valid_until is not None and valid_until < now
    active = valid_from is not None and valid_from <= now and not expired
    return DetectedCertificateView(
        id=row.id,
        monitor_id=monitor_id,
        fingerprint=row.key,
        issuer=_text(payload.get("issuer")) or "",
        domain=_text(payload.get("domain")) or "",
        additional_domains=[str(name) for name in _list(payload.get("additional_domains"))],
        valid_from=valid_from,
        valid_until=valid_until,
        # Whole days left, as a person counts them: negative once it has expired.
        days_until_expiration=None if valid_until is None else (valid_until - now).days,
        signature_algorithm=_text(payload.get("signature_algorithm")) or "",
        is_valid=active and bool(payload.get("chains_to_root")) and bool(payload.get("covers_domain")),
        is_expired=expired,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        resolved_at=row.resolved_at,
    )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]
