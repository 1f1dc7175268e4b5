"""Every statement about notifications: destinations (the API's side) and the outbox
(state changes fanned out into messages, messages claimed by compare-and-set, delivery
attempts recorded)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, case, delete, func, insert, null, or_, select, update
from sqlalchemy.orm import Session, aliased

from lookout.store.db import delete_selected
from lookout.store.tables import (
    Check,
    CheckRun,
    CheckState,
    Monitor,
    MonitorNotificationLimit,
    MonitorTag,
    NotificationDelivery,
    NotificationDestination,
    NotificationMessage,
    StateChange,
    Tag,
    TagGroup,
    TagGroupTag,
)

D = NotificationDestination
M = NotificationMessage

# Message statuses: the ones that reached (or are on their way to) the destination count
# as "told" and against its rate.
PENDING, SENT, FAILED, SUPPRESSED, COLLAPSED = "pending", "sent", "failed", "suppressed", "collapsed"
TOLD = (PENDING, SENT, FAILED, COLLAPSED)
COUNTED = (PENDING, SENT, FAILED)


# -- destinations -----------------------------------------------------------------------


def destinations_at(
    session: Session,
    team_ids: Collection[int],
    *,
    monitor_id: int | None = None,
    tag_id: int | None = None,
    tag_group_id: int | None = None,
    any_tag: bool = False,
) -> list[NotificationDestination]:
    """Destinations at one level: the team level when no monitor/tag/group is given."""
    query = select(D).where(D.team_id.in_(team_ids))
    if any_tag:
        query = query.where(D.tag_id.is_not(None))
    elif monitor_id is not None:
        query = query.where(D.monitor_id == monitor_id)
    elif tag_id is not None:
        query = query.where(D.tag_id == tag_id)
    elif tag_group_id is not None:
        query = query.where(D.tag_group_id == tag_group_id)
    else:
        query = query.where(D.monitor_id.is_(None), D.tag_id.is_(None), D.tag_group_id.is_(None))
    return list(session.scalars(query.order_by(D.id)))


def destination(
    session: Session, destination_id: int, team_ids: Collection[int]
) -> NotificationDestination | None:
    return session.scalars(select(D).where(D.id == destination_id, D.team_id.in_(team_ids))).first()


def add_destination(session: Session, values: dict[str, Any]) -> NotificationDestination:
    row = NotificationDestination(**values)
    session.add(row)
    session.flush()
    return row


def delete_destination(session: Session, destination_id: int) -> None:
    session.execute(delete(D).where(D.id == destination_id))


def monitor_team(session: Session, monitor_id: int, team_ids: Collection[int]) -> int | None:
    return session.scalar(
        select(Monitor.team_id).where(Monitor.id == monitor_id, Monitor.team_id.in_(team_ids))
    )


def tag_of(session: Session, tag_id: int, team_ids: Collection[int]) -> tuple[int, str] | None:
    row = session.execute(
        select(Tag.team_id, Tag.name).where(Tag.id == tag_id, Tag.team_id.in_(team_ids))
    ).first()
    return (row[0], row[1]) if row else None


def tag_names(session: Session, tag_ids: Collection[int]) -> dict[int, str]:
    if not tag_ids:
        return {}
    return {row[0]: row[1] for row in session.execute(select(Tag.id, Tag.name).where(Tag.id.in_(tag_ids)))}


def tag_group_of(session: Session, group_id: int, team_ids: Collection[int]) -> tuple[int, str] | None:
    row = session.execute(
        select(TagGroup.team_id, TagGroup.label).where(
            TagGroup.id == group_id, TagGroup.team_id.in_(team_ids)
        )
    ).first()
    return (row[0], row[1]) if row else None


def tag_group_labels(session: Session, group_ids: Collection[int]) -> dict[int, str]:
    if not group_ids:
        return {}
    rows = session.execute(select(TagGroup.id, TagGroup.label).where(TagGroup.id.in_(group_ids)))
    return {row[0]: row[1] for row in rows}


def destinations_for_monitor(
    session: Session, monitor_id: int, team_id: int
) -> list[NotificationDestination]:
    """Every destination an event on the monitor goes to: its team's, its own, its tags'
    and its tags' groups'."""
    tag_ids = select(MonitorTag.tag_id).where(MonitorTag.monitor_id == monitor_id)
    group_ids = select(TagGroupTag.tag_group_id).where(TagGroupTag.tag_id.in_(tag_ids))
    team_level = and_(D.monitor_id.is_(None), D.tag_id.is_(None), D.tag_group_id.is_(None))
    query = (
        select(D)
        .where(
            D.team_id == team_id,
            or_(team_level, D.monitor_id == monitor_id, D.tag_id.in_(tag_ids), D.tag_group_id.in_(group_ids)),
        )
        .order_by(D.id)
    )
    return list(session.scalars(query))


# -- the outbox: fan-out --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: int
    check_id: int
    monitor_id: int
    team_id: int
    check_type: str
    kind: str
    from_status: str
    to_status: str
    result: str
    reason: str
    details: dict[str, Any] | None
    created_at: datetime


def unprocessed_changes(session: Session, limit: int) -> list[tuple[int, int | None]]:
    """The oldest unprocessed changes with their monitor's team (None once it is gone)."""
    rows = session.execute(
        select(StateChange.id, Monitor.team_id)
        .outerjoin(Monitor, Monitor.id == StateChange.monitor_id)
        .where(StateChange.processed_at.is_(None))
        .order_by(StateChange.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


def take_changes(session: Session, change_ids: Collection[int], now: datetime) -> list[ChangeRow]:
    """Compare-and-set over a batch: mark processed the changes nobody has, and return
    those (in id order). The caller's transaction holds them until it commits (PostgreSQL's
    row locks, SQLite's write lock), so a second taker waits and then finds them processed."""
    if not change_ids:
        return []
    taken = session.scalars(
        update(StateChange)
        .where(StateChange.id.in_(change_ids), StateChange.processed_at.is_(None))
        .values(processed_at=now, claimed_at=now)
        .returning(StateChange.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not taken:
        return []
    rows = session.execute(
        select(
            StateChange.id,
            StateChange.check_id,
            StateChange.monitor_id,
            Monitor.team_id,
            Check.type,
            StateChange.kind,
            StateChange.from_status,
            StateChange.to_status,
            StateChange.result,
            StateChange.reason,
            StateChange.details,
            StateChange.created_at,
        )
        .join(Check, Check.id == StateChange.check_id)
        .join(Monitor, Monitor.id == StateChange.monitor_id)
        .where(StateChange.id.in_(taken))
        .order_by(StateChange.id)
    ).all()
    return [ChangeRow(*tuple(row)) for row in rows]


def teams_with_destinations(session: Session, team_ids: Collection[int]) -> set[int]:
    """The teams among `team_ids` with a destination at any level (every destination
    belongs to its team, whatever monitor, tag or group it is for)."""
    if not team_ids:
        return set()
    return set(session.scalars(select(D.team_id).where(D.team_id.in_(team_ids)).distinct()))


def monitor_snapshot(session: Session, monitor_id: int) -> dict[str, Any] | None:
    """The monitor as a webhook shows it (Oh Dear's `monitor`/`site` object)."""
    row = session.execute(select(Monitor).where(Monitor.id == monitor_id)).scalars().first()
    if row is None:
        return None
    checks = session.execute(
        select(Check.id, Check.type, Check.enabled, Check.latest_run_result, Check.latest_run_ended_at)
        .where(Check.monitor_id == monitor_id)
        .order_by(Check.id)
    ).all()
    return {
        "id": row.id,
        "team_id": row.team_id,
        "type": row.type,
        "url": row.url,
        "sort_url": row.sort_url,
        "label": row.friendly_name or row.url,
        "uses_https": row.url.startswith("https://"),
        "summarized_check_result": row.summarized_check_result,
        "latest_run_date": _stamp(row.latest_run_date),
        "created_at": _stamp(row.created_at),
        "updated_at": _stamp(row.updated_at),
        "checks": [
            {
                "id": check.id,
                "type": check.type,
                "enabled": check.enabled,
                "latest_run_result": check.latest_run_result,
                "latest_run_ended_at": _stamp(check.latest_run_ended_at),
            }
            for check in checks
        ],
    }


def _stamp(at: datetime | None) -> str | None:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else None


def opener_told(session: Session, change: ChangeRow, opener_kind: str, destination_id: int) -> bool:
    """Whether the destination was told of the latest `opener_kind` change before `change`,
    or of a change after it (a `changed` told while the failure itself was held, e.g. a
    second scheduled task failing beside a snoozed one)."""
    opener = session.scalar(
        select(func.max(StateChange.id)).where(
            StateChange.check_id == change.check_id,
            StateChange.kind == opener_kind,
            StateChange.id < change.id,
        )
    )
    if opener is None:
        return False
    return (
        session.scalar(
            select(func.count())
            .select_from(M)
            .where(
                M.state_change_id >= opener,
                M.state_change_id < change.id,
                M.check_id == change.check_id,
                M.destination_id == destination_id,
                M.status.in_(TOLD),
            )
        )
        or 0
    ) > 0


def counts_since(
    session: Session, destination_id: int, check_id: int | None, minute_ago: datetime, hour_ago: datetime
) -> tuple[int, int]:
    """Messages the destination got (or is getting) in the last minute, and about this check
    in the last hour; tests and summaries do not count."""
    base = (M.destination_id == destination_id, M.status.in_(COUNTED), M.kind.not_in(("test", "summary")))
    minute = session.scalar(select(func.count()).select_from(M).where(*base, M.created_at >= minute_ago)) or 0
    hour = 0
    if check_id is not None:
        hour = (
            session.scalar(
                select(func.count())
                .select_from(M)
                .where(*base, M.check_id == check_id, M.created_at >= hour_ago)
            )
            or 0
        )
    return minute, hour


def message_exists(session: Session, dedupe_key: str) -> bool:
    return session.scalar(select(M.id).where(M.dedupe_key == dedupe_key)) is not None


def add_message(session: Session, values: dict[str, Any]) -> int:
    result = session.execute(insert(M).values(**values).returning(M.id))
    return int(result.scalar_one())


def summary_for(
    session: Session, destination_id: int, bucket_key: str, due_at: datetime, now: datetime
) -> int:
    """The id of the destination's summary message for a minute, made if missing."""
    found = session.scalar(select(M.id).where(M.dedupe_key == bucket_key))
    if found is not None:
        return int(found)
    return add_message(
        session,
        {
            "destination_id": destination_id,
            "dedupe_key": bucket_key,
            "event": "notificationsSummary",
            "notification_type": "NotificationsSummaryNotification",
            "kind": "summary",
            "status": PENDING,
            "payload": {"kind": "summary", "event": "notificationsSummary"},
            "attempts": 0,
            "due_at": due_at,
            "created_at": now,
        },
    )


# -- reminders ------------------------------------------------------------------------------


class DownFailure(NamedTuple):
    change_id: int  # the failed state change
    failed_at: datetime
    check_type: str
    # The check's settings when its type is one of those asked for (`settings_of`), else None.
    settings: dict[str, Any] | None


def down_failures(session: Session, settings_of: Collection[str] = ()) -> list[DownFailure]:
    """The latest failure of every check now down.

    Read from the checks' states, each down one's latest failure found through its own
    changes: a read led by the state changes walked every change the store held, once a
    minute, however old."""
    change = aliased(StateChange)
    latest_failure = (
        select(func.max(change.id))
        .where(change.check_id == CheckState.check_id, change.kind == "failed")
        .correlate(CheckState)
        .scalar_subquery()
    )
    settings = case((Check.type.in_(list(settings_of)), Check.settings), else_=null())
    rows = session.execute(
        select(StateChange.id, StateChange.created_at, Check.type, settings)
        .select_from(CheckState)
        .join(StateChange, StateChange.id == latest_failure)
        .join(Check, Check.id == CheckState.check_id)
        .where(CheckState.status == "down")
        .order_by(StateChange.id)
    ).all()
    return [DownFailure(row[0], row[1], row[2], row[3] if isinstance(row[3], dict) else None) for row in rows]


def delete_messages_before(session: Session, cutoff: datetime, chunk: int) -> int:
    """Delete up to `chunk` finished messages made before `cutoff` that belong to no state
    change (reminders and summaries; a change's messages go with the change); their
    delivery attempts go with them."""
    return delete_selected(
        session,
        M,
        select(M.id)
        .where(M.state_change_id.is_(None), M.created_at < cutoff, M.status != PENDING)
        .order_by(M.id)
        .limit(chunk),
    )


def told_of(session: Session, change_id: int) -> list[NotificationMessage]:
    """The messages that told destinations of a state change."""
    return list(
        session.scalars(select(M).where(M.state_change_id == change_id, M.status.in_(TOLD)).order_by(M.id))
    )


# -- delivery -------------------------------------------------------------------------------


def backlog(session: Session) -> dict[str, int]:
    """State changes not fanned out yet and messages not sent yet (both counts use an index)."""
    unprocessed = StateChange.processed_at.is_(None)
    changes = session.scalar(select(func.count()).select_from(StateChange).where(unprocessed))
    pending = session.scalar(select(func.count()).select_from(M).where(M.status == PENDING))
    return {"state_changes": int(changes or 0), "messages": int(pending or 0)}


def due_messages(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(M.id)
            .where(
                M.status == PENDING, M.due_at <= now, or_(M.claimed_until.is_(None), M.claimed_until < now)
            )
            .order_by(M.due_at, M.id)
            .limit(limit)
        )
    )


def claim_message(session: Session, message_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Compare-and-set on the claim: true for exactly one claimer until the lease runs out."""
    claimed = session.execute(
        update(M)
        .where(
            M.id == message_id,
            M.status == PENDING,
            or_(M.claimed_until.is_(None), M.claimed_until < now),
        )
        .values(claimed_by=worker, claimed_until=now + lease)
    )
    return _rowcount(claimed) == 1


def message_and_destination(
    session: Session, message_id: int
) -> tuple[NotificationMessage, NotificationDestination] | None:
    row = session.execute(select(M, D).join(D, D.id == M.destination_id).where(M.id == message_id)).first()
    return (row[0], row[1]) if row else None


def collapsed_into(session: Session, summary_id: int, limit: int = 500) -> list[dict[str, Any]]:
    return [
        dict(payload)
        for payload in session.scalars(
            select(M.payload)
            .where(M.summary_id == summary_id, M.status == COLLAPSED)
            .order_by(M.id)
            .limit(limit)
        )
    ]


def record_attempt(
    session: Session,
    message_id: int,
    destination_id: int,
    channel: str,
    attempt: int,
    error: str | None,
    duration_ms: float,
    now: datetime,
) -> None:
    session.add(
        NotificationDelivery(
            message_id=message_id,
            destination_id=destination_id,
            channel=channel,
            attempt=attempt,
            status=SENT if error is None else FAILED,
            error=error,
            duration_ms=round(duration_ms, 3),
            created_at=now,
        )
    )


def finish_message(session: Session, message_id: int, worker: str, values: dict[str, Any]) -> bool:
    """Update a claimed message and release the claim; false when the claim was lost."""
    done = session.execute(
        update(M)
        .where(M.id == message_id, M.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None, **values)
    )
    return _rowcount(done) == 1


def deliveries_of(session: Session, message_ids: Sequence[int]) -> list[NotificationDelivery]:
    return list(
        session.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.message_id.in_(message_ids))
            .order_by(NotificationDelivery.id)
        )
    )


def failing_since(session: Session, check_id: int) -> datetime | None:
    return session.scalar(select(CheckState.failing_since).where(CheckState.check_id == check_id))


def run_details_at(session: Session, check_id: int, at: datetime) -> dict[str, Any] | None:
    """The details of the check's latest run started by `at` (the run behind a state change
    made at `at`, or the latest run when `at` is now)."""
    details = session.scalar(
        select(CheckRun.details)
        .where(CheckRun.check_id == check_id, CheckRun.started_at <= at)
        .order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
        .limit(1)
    )
    return details if isinstance(details, dict) else None


def _rowcount(result: Any) -> int:
    """Rows an UPDATE matched (Session.execute is typed as returning a plain Result)."""
    return int(result.rowcount)


# -- a monitor's own limits ---------------------------------------------------------------


def monitor_limits(session: Session, monitor_id: int) -> tuple[bool, int | None]:
    """(muted, max messages per destination and hour) of a monitor; (False, None) if unset."""
    row = session.get(MonitorNotificationLimit, monitor_id)
    return (False, None) if row is None else (bool(row.muted), row.max_per_hour)


def set_monitor_limits(session: Session, monitor_id: int, muted: bool, max_per_hour: int | None) -> None:
    row = session.get(MonitorNotificationLimit, monitor_id)
    if not muted and max_per_hour is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(MonitorNotificationLimit(monitor_id=monitor_id, muted=muted, max_per_hour=max_per_hour))
    else:
        row.muted, row.max_per_hour = muted, max_per_hour


def told_about_monitor_since(session: Session, destination_id: int, monitor_id: int, since: datetime) -> int:
    """Messages about the monitor the destination got (or is getting) since then."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(M)
            .where(
                M.destination_id == destination_id,
                M.monitor_id == monitor_id,
                M.status.in_(COUNTED),
                M.kind.not_in(("test", "summary")),
                M.created_at >= since,
            )
        )
        or 0
    )
