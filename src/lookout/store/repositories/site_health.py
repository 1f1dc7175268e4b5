"""Read side of the crawl checks: a monitor's check of one type, its latest run, and the
findings still open (what the latest crawl saw)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lookout.store.tables.monitor import Check
from lookout.store.tables.runs import CheckRun, Finding


def check_of(session: Session, monitor_id: int, check_type: str) -> tuple[int, dict[str, Any]] | None:
    """(check id, stored settings) of the monitor's check of `check_type`."""
    row = session.execute(
        select(Check.id, Check.settings).where(Check.monitor_id == monitor_id, Check.type == check_type)
    ).first()
    return None if row is None else (row[0], row[1] or {})


def latest_run(session: Session, check_id: int) -> CheckRun | None:
    return session.scalars(
        select(CheckRun).where(CheckRun.check_id == check_id).order_by(CheckRun.started_at.desc()).limit(1)
    ).first()


def open_findings(
    session: Session, check_id: int, *, seen_since: datetime | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Payloads of the open findings (first seen at or after `seen_since`, when given), in
    key order, and how many there are."""
    where = [Finding.check_id == check_id, Finding.resolved_at.is_(None)]
    if seen_since is not None:
        where.append(Finding.first_seen_at >= seen_since)
    total = session.scalar(select(func.count()).select_from(Finding).where(*where)) or 0
    rows = session.scalars(
        select(Finding.payload).where(*where).order_by(Finding.key).offset(offset).limit(limit)
    ).all()
    return [dict(payload or {}) for payload in rows], total
