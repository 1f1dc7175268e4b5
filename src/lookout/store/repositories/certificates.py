"""Read side of certificate health: a monitor's certificate check, its latest run and the
certificates it has seen (the check's findings, one per leaf fingerprint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from lookout.store.tables import Check, CheckRun, Finding

CERTIFICATE_HEALTH = "certificate_health"
_FINDING_COLUMNS = (
    Finding.id,
    Finding.key,
    Finding.payload,
    Finding.first_seen_at,
    Finding.last_seen_at,
    Finding.resolved_at,
)


def certificate_check_id(session: Session, monitor_id: int) -> int | None:
    return session.scalar(
        select(Check.id).where(Check.monitor_id == monitor_id, Check.type == CERTIFICATE_HEALTH)
    )


def latest_run(session: Session, check_id: int) -> Row[Any] | None:
    return session.execute(
        select(CheckRun.id, CheckRun.result, CheckRun.summary, CheckRun.started_at, CheckRun.details)
        .where(CheckRun.check_id == check_id)
        .order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
        .limit(1)
    ).first()


def finding_by_key(session: Session, check_id: int, key: str) -> Row[Any] | None:
    return session.execute(
        select(*_FINDING_COLUMNS).where(Finding.check_id == check_id, Finding.key == key)
    ).first()


def seen_another_before(session: Session, check_id: int, key: str, before: datetime) -> bool:
    """Whether the check saw a certificate other than `key` before `before`."""
    query = select(Finding.id).where(
        Finding.check_id == check_id, Finding.key != key, Finding.first_seen_at < before
    )
    return session.scalar(query.limit(1)) is not None


def findings_page(session: Session, check_id: int, offset: int, limit: int) -> tuple[list[Row[Any]], int]:
    """Newest first (by first seen), and how many there are."""
    where = Finding.check_id == check_id
    total = session.scalar(select(func.count()).select_from(Finding).where(where)) or 0
    rows = session.execute(
        select(*_FINDING_COLUMNS)
        .where(where)
        .order_by(Finding.first_seen_at.desc(), Finding.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def finding(session: Session, check_id: int, finding_id: int) -> Row[Any] | None:
    return session.execute(
        select(*_FINDING_COLUMNS).where(Finding.check_id == check_id, Finding.id == finding_id)
    ).first()
