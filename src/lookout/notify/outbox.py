"""The outbox: side effects come only from stored rows, and nothing is told twice or lost.

1. Fan-out. An unprocessed state change is taken by compare-and-set (`processed_at` set
   where it is NULL) in the same transaction that writes one message per destination with
   the policy's decision, so a crash before the commit leaves it for the next taker and a
   second process finds it taken. A message's `dedupe_key` is unique.
2. Reminders. Every minute, each check still down gets, per destination told of its
   failure, one reminder per period (`dedupe_key` numbers the period).
3. Delivery. A due pending message is claimed by compare-and-set on its lease
   (`claimed_until`); a process that dies holding it loses the claim when the lease runs
   out and another delivers it. Every attempt is a `notification_deliveries` row; a failed
   attempt is retried after a backoff, up to `max_attempts`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout import metrics
from lookout.model import events
from lookout.model.check_settings import OWN_REMINDERS, SETTINGS_MODELS
from lookout.model.check_type import CHECK_LABELS, CheckType
from lookout.notify.dispatch import Attempt, Dispatcher, Target
from lookout.notify.policy import FLAPPING, PolicyConfig, Situation, Verdict, decide, reminder_number
from lookout.periodic import Periodic
from lookout.store.db import transaction
from lookout.store.repositories import maintenance as maintenance_repo
from lookout.store.repositories import notifications as repo
from lookout.store.repositories import snoozes as snoozes_repo
from lookout.store.tables import NotificationDestination

log = logging.getLogger(__name__)

OPENER_OF = {events.RECOVERED: events.FAILED, events.FIXED: events.WARNING}
# State changes of teams without a destination taken in one fan-out transaction. At 100,000
# monitors a transaction and four statements per change made fan-out a third of the
# engine's interpreter time while load turned performance checks to warning and back (~180
# changes a second). A change to decide takes its own transaction, as deciding costs
# 15-20 ms per destination and SQLite's writer waits meanwhile.
_QUIET_CHUNK = 50


def _take_chunks(pending: list[tuple[int, int | None]], told: set[int]) -> list[list[int]]:
    """Consecutive changes of teams without a destination together, each other alone, in
    id order."""
    chunks: list[list[int]] = []
    quiet: list[int] = []
    for change_id, team_id in pending:
        if team_id in told:
            if quiet:
                chunks.append(quiet)
                quiet = []
            chunks.append([change_id])
        else:
            quiet.append(change_id)
            if len(quiet) == _QUIET_CHUNK:
                chunks.append(quiet)
                quiet = []
    if quiet:
        chunks.append(quiet)
    return chunks


@dataclass(frozen=True, slots=True)
class OutboxTuning:
    poll_s: float = 1.0
    # How long a claimed message is ours; past it another process may deliver it.
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 3
    # Seconds to wait before the 2nd, 3rd, ... attempt.
    backoff_s: tuple[float, ...] = (10.0, 60.0)
    batch: int = 200
    concurrency: int = 20
    reminder_scan_every: timedelta = timedelta(seconds=60)
    policy: PolicyConfig = field(default_factory=PolicyConfig)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Claimed:
    message_id: int
    attempt: int
    target: Target
    payload: dict[str, Any]


class Outbox:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        dispatcher: Dispatcher,
        tuning: OutboxTuning | None = None,
        clock: Callable[[], datetime] = _utcnow,
        worker: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self.tuning = tuning or OutboxTuning()
        self._clock = clock
        self.worker = worker or f"outbox-{uuid.uuid4().hex[:12]}"
        self._loop = Periodic("outbox", self.run_once, lambda: self.tuning.poll_s, log)
        self._last_reminder_scan: datetime | None = None
        self._reminded_until: datetime | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_once(self) -> int:
        """One round: fan out new state changes, add due reminders, deliver what is due.
        Returns the delivery attempts made."""
        now = self._clock()
        await asyncio.to_thread(self.fan_out, now)
        last = self._last_reminder_scan
        if last is None or now - last >= self.tuning.reminder_scan_every:
            self._last_reminder_scan = now
            await asyncio.to_thread(self.remind, now, self._reminded_until)
            # Only once it went through: the periods a failed scan missed are looked at again.
            self._reminded_until = now
        claimed = await asyncio.to_thread(self.claim_due, now)
        if not claimed:
            return 0
        room = asyncio.Semaphore(self.tuning.concurrency)

        async def one(item: _Claimed) -> None:
            async with room:
                outcome = await self._dispatcher.attempt(item.target, item.payload)
            await asyncio.to_thread(self.record, item, outcome)

        await asyncio.gather(*(one(item) for item in claimed))
        return len(claimed)

    # -- 1. fan-out -------------------------------------------------------------------------

    def fan_out(self, now: datetime) -> int:
        with self._sessions() as session:
            pending = repo.unprocessed_changes(session, self.tuning.batch)
            told = repo.teams_with_destinations(
                session, {team_id for _, team_id in pending if team_id is not None}
            )
        made = 0
        for chunk in _take_chunks(pending, told):
            with transaction(self._sessions) as session:
                changes = repo.take_changes(session, chunk, now)
                # Asked again inside the transaction: a destination added since counts.
                told_now = repo.teams_with_destinations(session, {change.team_id for change in changes})
                for change in changes:
                    if change.team_id in told_now:  # with no destination there is nothing to decide
                        made += self._decide_change(session, change, now)
        return made

    def _decide_change(self, session: Session, change: repo.ChangeRow, now: datetime) -> int:
        name = events.event_name(change.check_type, change.kind)
        if name is None:
            return 0
        monitor = repo.monitor_snapshot(session, change.monitor_id)
        if monitor is None:
            return 0
        since = repo.failing_since(session, change.check_id) if change.kind == events.FAILED else None
        payload: dict[str, Any] = {
            "event": name.event,
            "notification_type": name.notification_type,
            "kind": change.kind,
            "at": change.created_at.isoformat(),
            "since": (since or change.created_at).isoformat(),
            "reason": change.reason,
            "result": change.result,
            "from_status": change.from_status,
            "to_status": change.to_status,
            "details": change.details,
            "check": {
                "id": change.check_id,
                "type": change.check_type,
                "label": _check_label(change.check_type),
            },
            "monitor": monitor,
        }
        made = 0
        for destination in repo.destinations_for_monitor(session, change.monitor_id, monitor["team_id"]):
            opener = OPENER_OF.get(change.kind)
            told = opener is None or repo.opener_told(session, change, opener, destination.id)
            made += self._decide(
                session,
                destination,
                payload,
                key=f"change:{change.id}:{destination.id}",
                event_at=change.created_at,
                now=now,
                state_change_id=change.id,
                opener_told=told,
            )
        return made

    def _decide(
        self,
        session: Session,
        destination: NotificationDestination,
        payload: dict[str, Any],
        *,
        key: str,
        event_at: datetime,
        now: datetime,
        state_change_id: int | None,
        opener_told: bool = True,
    ) -> int:
        if repo.message_exists(session, key):
            return 0
        check_id = int(payload["check"]["id"])
        monitor_id = int(payload["monitor"]["id"])
        kind = str(payload["kind"])
        minute, hour = repo.counts_since(
            session, destination.id, check_id, now - timedelta(minutes=1), now - timedelta(hours=1)
        )
        muted, max_per_hour = repo.monitor_limits(session, monitor_id)
        about_monitor = 0
        if max_per_hour is not None and not muted:
            about_monitor = repo.told_about_monitor_since(
                session, destination.id, monitor_id, now - timedelta(hours=1)
            )
        situation = Situation(
            kind=kind,
            notification_type=str(payload["notification_type"]),
            destination_types=tuple(destination.notification_types or ()),
            enabled=destination.enabled,
            event_at=event_at,
            now=now,
            snoozed=snoozes_repo.is_snoozed(session, check_id, now),
            silenced_until=_silenced_until(session, check_id, now if state_change_id is None else event_at),
            in_maintenance=maintenance_repo.in_maintenance(session, monitor_id, now),
            opener_told=opener_told,
            sent_this_minute=minute,
            sent_for_check_this_hour=hour,
            monitor_muted=muted,
            monitor_max_per_hour=max_per_hour,
            sent_for_monitor_this_hour=about_monitor,
        )
        decision = decide(situation, self.tuning.policy)
        if decision.verdict is Verdict.SKIP:
            return 0
        summary_id = None
        status = repo.PENDING
        if decision.verdict is Verdict.SUPPRESS:
            status = repo.SUPPRESSED
        elif decision.verdict is Verdict.COLLAPSE:
            status = repo.COLLAPSED
            # A burst is summed up each minute; a flapping check each hour.
            width = 3600 if decision.reason == FLAPPING else 60
            bucket = int(now.timestamp() // width)
            due = datetime.fromtimestamp((bucket + 1) * width, UTC)
            summary_key = f"summary:{destination.id}:{width}:{bucket}"
            summary_id = repo.summary_for(session, destination.id, summary_key, due, now)
        repo.add_message(
            session,
            {
                "destination_id": destination.id,
                "monitor_id": monitor_id,
                "check_id": check_id,
                "state_change_id": state_change_id,
                "dedupe_key": key,
                "event": payload["event"],
                "notification_type": payload["notification_type"],
                "kind": kind,
                "status": status,
                "status_reason": decision.reason or None,
                "payload": payload,
                "summary_id": summary_id,
                "attempts": 0,
                "due_at": now,
                "created_at": now,
            },
        )
        return 1

    # -- 2. reminders -----------------------------------------------------------------------

    def remind(self, now: datetime, since: datetime | None = None) -> int:
        """Add the reminders of the checks still down whose reminder period ended after
        `since` (the last scan; None: every period, as after a start, where the dedupe keys
        keep those already made from being made twice); how many were decided."""
        default_every = self.tuning.policy.reminder_every
        if default_every is None:
            return 0
        made = 0
        with self._sessions() as session:
            failures = repo.down_failures(session, settings_of=OWN_REMINDERS)
        for change_id, failed_at, check_type, settings in failures:
            every = _reminder_every(check_type, settings) or default_every
            number = reminder_number(failed_at, now, every)
            # A check down for days is looked at once a period, not at every scan.
            if number < 1 or (since is not None and reminder_number(failed_at, since, every) == number):
                continue
            with transaction(self._sessions) as session:
                for told in repo.told_of(session, change_id):
                    if told.kind != events.FAILED:
                        continue
                    destination = session.get(NotificationDestination, told.destination_id)
                    if destination is None:
                        continue
                    payload = dict(told.payload)
                    payload["kind"] = events.REMINDER
                    payload["reminder"] = number
                    payload["at"] = now.isoformat()
                    made += self._decide(
                        session,
                        destination,
                        payload,
                        key=f"reminder:{change_id}:{destination.id}:{number}",
                        event_at=now,
                        now=now,
                        state_change_id=None,
                    )
        return made

    # -- 3. delivery ------------------------------------------------------------------------

    def claim_due(self, now: datetime) -> list[_Claimed]:
        claimed: list[_Claimed] = []
        with self._sessions() as session:
            due = repo.due_messages(session, now, self.tuning.batch)
        for message_id in due:
            with transaction(self._sessions) as session:
                if not repo.claim_message(session, message_id, self.worker, now, self.tuning.lease):
                    continue
                found = repo.message_and_destination(session, message_id)
                if found is None:
                    continue
                message, destination = found
                if not destination.enabled:
                    repo.finish_message(
                        session,
                        message_id,
                        self.worker,
                        {"status": repo.SUPPRESSED, "status_reason": "destination disabled"},
                    )
                    continue
                payload = dict(message.payload)
                if message.kind == events.SUMMARY:
                    payload["items"] = repo.collapsed_into(session, message_id)
                    payload["at"] = now.isoformat()
                claimed.append(
                    _Claimed(
                        message_id,
                        message.attempts + 1,
                        Target(
                            destination.id,
                            destination.channel,
                            dict(destination.destination),
                            destination.secret,
                            destination.label,
                        ),
                        payload,
                    )
                )
        return claimed

    def record(self, item: _Claimed, outcome: Attempt) -> None:
        now = self._clock()
        with transaction(self._sessions) as session:
            repo.record_attempt(
                session,
                item.message_id,
                item.target.id,
                item.target.channel,
                item.attempt,
                outcome.error,
                outcome.duration_ms,
                now,
            )
            values: dict[str, Any] = {"attempts": item.attempt}
            if outcome.ok:
                values.update(status=repo.SENT, sent_at=now, status_reason=None)
                metrics.NOTIFICATION_DELIVERIES.labels(item.target.channel, "sent").inc()
            elif item.attempt >= self.tuning.max_attempts:
                values.update(status=repo.FAILED, status_reason=(outcome.error or "")[:255])
                metrics.NOTIFICATION_DELIVERIES.labels(item.target.channel, "failed").inc()
                log.warning(
                    "notification %s to %s destination %s failed for good: %s",
                    item.message_id,
                    item.target.channel,
                    item.target.id,
                    outcome.error,
                )
            else:
                metrics.NOTIFICATION_DELIVERIES.labels(item.target.channel, "retry").inc()
                backoff = self.tuning.backoff_s
                wait = backoff[min(item.attempt - 1, len(backoff) - 1)] if backoff else 0.0
                values.update(due_at=now + timedelta(seconds=wait), status_reason=(outcome.error or "")[:255])
            if not repo.finish_message(session, item.message_id, self.worker, values):
                log.warning("outbox lost its claim on message %s while delivering it", item.message_id)


def _silenced_until(session: Session, check_id: int, at: datetime) -> datetime | None:
    """Until when the run behind the event says its every failing subject is snoozed
    (model/events.SILENCED_UNTIL); for a reminder, the check's latest run says."""
    details = repo.run_details_at(session, check_id, at)
    value = details.get(events.SILENCED_UNTIL) if details else None
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        until = datetime.fromisoformat(value)
    except ValueError:
        return None
    return until if until.tzinfo is not None else until.replace(tzinfo=UTC)


def _check_label(check_type: str) -> str:
    try:
        return CHECK_LABELS[CheckType(check_type)]
    except ValueError:
        return check_type


def _reminder_every(check_type: str, settings: dict[str, Any] | None) -> timedelta | None:
    """The period a check's own settings give its reminders (an AI check's throttle); None:
    the policy's."""
    if settings is None:
        return None
    try:
        model = SETTINGS_MODELS[CheckType(check_type)].model_validate(settings)
    except (ValueError, KeyError):  # ValidationError is a ValueError
        return None
    return model.reminder_every()
