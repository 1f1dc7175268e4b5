"""Is a check snoozed? What notifications ask before sending (a snooze mutes a check's
notifications, never its runs). In the store so that notify and engine can call it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lookout.store.tables import Snooze


def is_snoozed(session: Session, check_id: int, at: datetime) -> bool:
    """True when a snooze of the check runs at `at` (starts_at <= at < ends_at)."""
    return check_id in snoozed_checks(session, [check_id], at)


def snoozed_checks(session: Session, check_ids: Sequence[int], at: datetime) -> set[int]:
    """The checks among `check_ids` snoozed at `at`; one query."""
    ids = list(set(check_ids))
    if not ids:
        return set()
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return set(
        session.scalars(
            select(Snooze.check_id)
            .where(
                Snooze.check_id.in_(bindparam("ids", expanding=True)),
                Snooze.starts_at <= at,
                Snooze.ends_at > at,
            )
            .distinct(),
            {"ids": ids},
        )
    )
