"""The domain and application health checks' own rows: written from a run's details in the
engine's transaction (`record_domain`, `record_app_health`), read for the API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lookout.model.result import CheckResult
from lookout.store.tables.app_checks import (
    AppHealthCheck,
    AppHealthResult,
    AppHealthSnooze,
    DomainRegistration,
)

_DATES = ("expires_at", "registered_at", "last_changed_at", "last_updated_in_rdap_db_at")


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _strings(value: Any, limit: int = 50) -> list[str]:
    return [item for item in value if isinstance(item, str)][:limit] if isinstance(value, list) else []


def record_domain(session: Session, check_id: int, monitor_id: int, result: CheckResult) -> None:
    """Keep the latest registration data a domain run read (or why it cannot read any)."""
    details = result.details
    domain = details.get("domain")
    source = details.get("source")
    reason = details.get("not_supported_reason")
    if not isinstance(domain, str) or (source is None and not isinstance(reason, str)):
        return  # the lookup failed for now: keep what we knew
    at = result.ended_at
    values: dict[str, Any] = {
        "monitor_id": monitor_id,
        "domain": domain[:253],
        "source": source if isinstance(source, str) else None,
        "domain_statuses": _strings(details.get("domain_statuses")),
        "registrar": details.get("registrar") if isinstance(details.get("registrar"), str) else None,
        "nameservers": _strings(details.get("nameservers")),
        "response": details.get("response") if isinstance(details.get("response"), dict) else {},
        "not_supported_reason": reason[:255] if isinstance(reason, str) else None,
        "updated_at": at,
        **{name: _date(details.get(name)) for name in _DATES},
    }
    row = session.scalars(select(DomainRegistration).where(DomainRegistration.check_id == check_id)).first()
    if row is None:
        session.add(DomainRegistration(check_id=check_id, created_at=at, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()


def record_app_health(session: Session, check_id: int, monitor_id: int, result: CheckResult) -> None:
    """Fold the health checks an app reported into their rows and status history."""
    reported = result.details.get("results")
    if not isinstance(reported, list):
        return  # the app could not be read: nothing is known about its health checks
    at = result.ended_at
    existing = {
        row.name: row
        for row in session.scalars(select(AppHealthCheck).where(AppHealthCheck.check_id == check_id))
    }
    latest = _latest_results(session, [row.id for row in existing.values()])
    seen: set[str] = set()
    for item in reported:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        name = item["name"][:255]
        seen.add(name)
        values = {
            "label": str(item.get("label") or name)[:255],
            "status": str(item.get("status"))[:16],
            "message": str(item.get("message") or ""),
            "short_summary": str(item.get("short_summary") or "")[:255],
            "meta": dict(item["meta"]) if isinstance(item.get("meta"), Mapping) else {},
        }
        row = existing.get(name)
        if row is None:
            row = AppHealthCheck(
                check_id=check_id,
                monitor_id=monitor_id,
                name=name,
                present=True,
                detected_at=at,
                updated_at=at,
            )
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
            session.flush()
            existing[name] = row
        else:
            if row.status != values["status"] or not row.present:
                row.detected_at = at
            for key, value in values.items():
                setattr(row, key, value)
            row.present = True
            row.updated_at = at
        last = latest.get(row.id)
        history = {k: values[k] for k in ("status", "short_summary", "message", "meta")}
        if last is not None and last.status == values["status"]:
            for key, value in history.items():
                setattr(last, key, value)
            last.updated_at = at
        else:
            session.add(AppHealthResult(health_check_id=row.id, detected_at=at, updated_at=at, **history))
    for name, row in existing.items():
        if name not in seen and row.present:
            row.present = False
    session.flush()


def _latest_results(session: Session, health_check_ids: Sequence[int]) -> dict[int, AppHealthResult]:
    if not health_check_ids:
        return {}
    newest = (
        select(func.max(AppHealthResult.id))
        .where(AppHealthResult.health_check_id.in_(health_check_ids))
        .group_by(AppHealthResult.health_check_id)
    )
    rows = session.scalars(select(AppHealthResult).where(AppHealthResult.id.in_(newest)))
    return {row.health_check_id: row for row in rows}


# -- reads for the API ------------------------------------------------------------------


def domain_registration(session: Session, monitor_id: int) -> DomainRegistration | None:
    return session.scalars(
        select(DomainRegistration)
        .where(DomainRegistration.monitor_id == monitor_id)
        .order_by(DomainRegistration.updated_at.desc())
        .limit(1)
    ).first()


def health_checks_page(
    session: Session, monitor_id: int, offset: int, limit: int
) -> tuple[list[AppHealthCheck], int]:
    where = (AppHealthCheck.monitor_id == monitor_id, AppHealthCheck.present.is_(True))
    total = session.scalar(select(func.count()).select_from(AppHealthCheck).where(*where)) or 0
    rows = session.scalars(
        select(AppHealthCheck).where(*where).order_by(AppHealthCheck.id).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def health_check(session: Session, monitor_id: int, health_check_id: int) -> AppHealthCheck | None:
    return session.scalars(
        select(AppHealthCheck).where(
            AppHealthCheck.id == health_check_id, AppHealthCheck.monitor_id == monitor_id
        )
    ).first()


def results_page(
    session: Session, health_check_id: int, offset: int, limit: int
) -> tuple[list[AppHealthResult], int]:
    where = AppHealthResult.health_check_id == health_check_id
    total = session.scalar(select(func.count()).select_from(AppHealthResult).where(where)) or 0
    rows = session.scalars(
        select(AppHealthResult).where(where).order_by(AppHealthResult.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def active_snoozes(
    session: Session, health_check_ids: Sequence[int], now: datetime
) -> dict[int, AppHealthSnooze]:
    if not health_check_ids:
        return {}
    rows = session.scalars(
        select(AppHealthSnooze)
        .where(
            AppHealthSnooze.health_check_id.in_(health_check_ids),
            AppHealthSnooze.starts_at <= now,
            AppHealthSnooze.ends_at > now,
        )
        .order_by(AppHealthSnooze.id)
    )
    return {row.health_check_id: row for row in rows}


def snoozed_by_name(
    session: Session, monitor_id: int, names: Sequence[str], at: datetime
) -> dict[str, datetime]:
    """Name -> latest end of a snooze running at `at`, for the monitor's named health checks."""
    if not names:
        return {}
    rows = session.execute(
        select(AppHealthCheck.name, func.max(AppHealthSnooze.ends_at))
        .join(AppHealthSnooze, AppHealthSnooze.health_check_id == AppHealthCheck.id)
        .where(
            AppHealthCheck.monitor_id == monitor_id,
            AppHealthCheck.name.in_(list(names)[:100]),
            AppHealthSnooze.starts_at <= at,
            AppHealthSnooze.ends_at > at,
        )
        .group_by(AppHealthCheck.name)
    )
    return {name: ends_at for name, ends_at in rows}


def add_snooze(
    session: Session,
    health_check_id: int,
    starts_at: datetime,
    ends_at: datetime,
    by: str | None,
    source: str,
) -> AppHealthSnooze:
    snooze = AppHealthSnooze(
        health_check_id=health_check_id,
        starts_at=starts_at,
        ends_at=ends_at,
        snoozed_by=by[:255] if by else None,
        source=source,
        created_at=starts_at,
    )
    session.add(snooze)
    session.flush()
    return snooze


def end_snoozes(session: Session, health_check_id: int, now: datetime, by: str | None) -> None:
    session.execute(
        update(AppHealthSnooze)
        .where(AppHealthSnooze.health_check_id == health_check_id, AppHealthSnooze.ends_at > now)
        .values(ends_at=now, unsnoozed_by=by[:255] if by else None)
    )
