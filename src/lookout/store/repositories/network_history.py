"""Reads for the DNS, ports and DNS blocklist history and the AI responses: a check's
finished runs with their details, newest first. The history items of these checks are their runs (see
services/network_history.py); nothing here writes."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from lookout.store.tables import Check, CheckRun, Monitor

_ITEM_COLUMNS = (CheckRun.id, CheckRun.result, CheckRun.started_at, CheckRun.ended_at, CheckRun.details)


def team_check_id(
    session: Session, monitor_id: int, check_type: str, team_ids: Collection[int]
) -> int | None:
    """The id of the monitor's check of `check_type`, if the monitor belongs to one of the teams."""
    return session.scalar(
        select(Check.id)
        .join(Monitor, Monitor.id == Check.monitor_id)
        .where(Check.monitor_id == monitor_id, Check.type == check_type, Monitor.team_id.in_(team_ids))
        .limit(1)
    )


def monitor_visible(session: Session, monitor_id: int, team_ids: Collection[int]) -> bool:
    found = session.scalar(select(Monitor.id).where(Monitor.id == monitor_id, Monitor.team_id.in_(team_ids)))
    return found is not None


def items_page(
    session: Session, check_id: int, results: Collection[str], offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    """(id, result, started_at, ended_at, details) of the check's runs with one of `results`, newest first,
    and how many there are."""
    where = (CheckRun.check_id == check_id, CheckRun.result.in_(list(results)))
    total = session.scalar(select(func.count()).select_from(CheckRun).where(*where)) or 0
    rows = session.execute(
        select(*_ITEM_COLUMNS)
        .where(*where)
        .order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def item(session: Session, check_id: int, run_id: int, results: Collection[str]) -> Row[Any] | None:
    return session.execute(
        select(*_ITEM_COLUMNS).where(
            CheckRun.id == run_id, CheckRun.check_id == check_id, CheckRun.result.in_(list(results))
        )
    ).first()
