"""The failover consumer: one more reader of `state_changes`, beside the notification outbox.

Each round it
1. reads the state changes after the shared cursor (`failover_cursor`: every D-Monitor
   change up to it is done), by the primary key and joined to the D-Monitors, so a round
   costs what happened since, not the history; takes each one no process has taken (a
   `failover_claims` row inserted for the change: the primary key makes it a
   compare-and-set; a claim whose process died expires after `claim_lease`), one check's
   changes strictly in order (a change waits while an earlier one of its check is another
   process's), records what they mean for DNSPod (the D-Monitor's status, an outage row
   for Monitor.Getdowns, the callback owed), marks them done, lets the executor act on
   those D-Monitors, and moves the cursor up to the first change not done. The cursor
   trails the newest id by `cursor_settle` (on PostgreSQL an id can commit after a higher
   one; a change that late is still read);
2. every `reconcile_every` lets the executor look again at every D-Monitor that is down,
   switched or has an intent pending (a backup that died, the way back, a crash's leftover),
   and probes the backup IPs of those whose last probe is older than their interval;
3. delivers the callbacks that are due;
4. every `prune_every` deletes, in small batches by primary key, what is older than the
   retention: finished claims below the cursor, and finished callbacks with their attempts.
Never the outbox's `processed_at`: notifications and failover each see every change.

A `failed` change opens an outage only when a majority of the D-Monitor's points find the
IP down (`points.py`). When they do not yet (a point location whose run comes later), the
check stays down without another change, so step 2 asks the points again each round and
opens the outage once they agree (`late_downs`); a recovery of a failure never confirmed
is no callback either. And a record moved by Record.Modify to an IP the check already
finds down makes no state change (the check stays down), so step 2 also looks for a check
whose first runs on the new IP (since `ip_since`) are down and opens that outage itself
(`fresh_downs`), with its Down callback, before the executor switches.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lookout.failover.base import DnsProvider
from lookout.failover.callbacks import (
    FAILED,
    PENDING,
    SENT,
    SUPPRESSED,
    CallbackEvent,
    CallbackSender,
    CallbackTuning,
    callback_form,
)
from lookout.failover.executor import PENDING as SWITCH_PENDING
from lookout.failover.executor import TIME_FORMAT, ExecutorTuning, FailoverExecutor, latest_down
from lookout.failover.points import points_down
from lookout.failover.policy import BakIp
from lookout.failover.probe import Prober
from lookout.failover.providers.records import RecordsProvider
from lookout.failover.providers.rfc2136 import Rfc2136Provider, UpdateServer
from lookout.model.dmonitor_points import PointMap
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.periodic import Periodic
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.tables.dns import DMonitor, DMonitorDown, DnsDomain, DnsRecord
from lookout.store.tables.failover import (
    FailoverCallback,
    FailoverCallbackAttempt,
    FailoverClaim,
    FailoverCursor,
    FailoverSwitch,
)
from lookout.store.tables.monitor import Check
from lookout.store.tables.runs import CheckRun, CheckState, StateChange

log = logging.getLogger(__name__)

LESS_NOTICE_EVERY = timedelta(hours=1)
CURSOR = "state_changes"
BAK_IP_MODES = ("pass", "pause", "pause2", "auto")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ConsumerTuning:
    poll_s: float = 1.0
    reconcile_every_s: float = 5.0
    claim_lease: timedelta = timedelta(seconds=60)
    cursor_settle: timedelta = timedelta(seconds=30)
    # How often backup IPs are probed when nothing needs them; None: each D-Monitor's interval.
    backup_probe_every_s: float | None = None
    batch: int = 200
    concurrency: int = 20
    executor: ExecutorTuning = field(default_factory=ExecutorTuning)
    callbacks: CallbackTuning = field(default_factory=CallbackTuning)
    # Claims and finished callbacks older than this go (LOOKOUT_RUN_RETENTION_DAYS).
    retention: timedelta = timedelta(days=14)
    prune_every_s: float = 3600.0
    prune_batch: int = 500


def status_code_of(details: Any) -> int:
    """The last HTTP status, or DNSPod's negative transport codes (D5)."""
    if not isinstance(details, dict):
        return 0
    status = details.get("status_code")
    if isinstance(status, int):
        return status
    kind = str(details.get("error_kind", ""))
    if "timeout" in kind or "timed" in kind:
        return -3
    if "tls" in kind or "ssl" in kind or "certificate" in kind:
        return -4
    if "dns" in kind or "resolve" in kind or "unreachable" in kind:
        return -2
    return -1 if kind else 0


class FailoverConsumer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        executor: FailoverExecutor,
        callbacks: CallbackSender,
        tuning: ConsumerTuning | None = None,
        clock: Callable[[], datetime] = _utcnow,
        worker: str | None = None,
    ) -> None:
        self._sessions = sessions
        self.executor = executor
        self.callbacks = callbacks
        self.tuning = tuning or ConsumerTuning()
        self._clock = clock
        self.worker = worker or f"failover-{uuid.uuid4().hex[:12]}"
        self._loop = Periodic("failover", self.run_once, lambda: self.tuning.poll_s, log)
        self._last_reconcile = 0.0
        self._last_prune: float | None = None
        # (when, newest state change id) seen by this process: the cursor may move up to a
        # head seen `cursor_settle` ago.
        self._heads: deque[tuple[datetime, int]] = deque()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_once(self) -> int:
        """One round; returns the state changes taken."""
        taken, touched = await asyncio.to_thread(self.take_changes)
        if time.monotonic() - self._last_reconcile >= self.tuning.reconcile_every_s:
            self._last_reconcile = time.monotonic()
            # Before the executor acts: its switch log goes to the outage opened here.
            touched |= set(await asyncio.to_thread(self.fresh_downs))
            touched |= set(await asyncio.to_thread(self.late_downs))
            touched |= set(await asyncio.to_thread(self.active_monitors))
            for d_monitor_id in await asyncio.to_thread(self.backups_due):
                try:
                    await self.executor.refresh_backups(d_monitor_id)
                except Exception:
                    log.exception("probing the backups of D-Monitor %s failed", d_monitor_id)
        if touched:
            room = asyncio.Semaphore(self.tuning.concurrency)

            async def one(d_monitor_id: int) -> None:
                async with room:
                    try:
                        await self.executor.reconcile(d_monitor_id)
                    except Exception:
                        log.exception("failover of D-Monitor %s failed; next round tries again", d_monitor_id)

            await asyncio.gather(*(one(d_monitor_id) for d_monitor_id in sorted(touched)))
        await self.callbacks.deliver_due()
        if self._last_prune is None or time.monotonic() - self._last_prune >= self.tuning.prune_every_s:
            self._last_prune = time.monotonic()
            try:
                await asyncio.to_thread(self.prune)
            except Exception:
                log.exception("pruning failover's old rows failed; the next sweep tries again")
        return taken

    # -- 1. state changes -----------------------------------------------------------------

    def take_changes(self) -> tuple[int, set[int]]:
        """Claim, record and finish the new changes: how many, and the D-Monitors touched."""
        now = self._clock()
        with self._sessions() as session:
            cursor = int(
                session.scalar(select(FailoverCursor.last_id).where(FailoverCursor.name == CURSOR)) or 0
            )
            head = int(session.scalar(select(func.max(StateChange.id))) or 0)
            waiting = session.execute(
                _not_done(cursor, head)
                .add_columns(StateChange.check_id, FailoverClaim.claimed_until)
                .order_by(StateChange.id)
                .limit(self.tuning.batch)
            ).all()
        self._heads.append((now, head))
        touched: set[int] = set()
        taken = 0
        # A check whose earlier change is not done here: its later ones wait (in order).
        waits: set[int] = set()
        for change_id, check_id, claimed_until in waiting:
            if check_id in waits:
                continue
            if (claimed_until is not None and claimed_until >= now) or not self._claim(change_id, now):
                waits.add(check_id)
                continue
            taken += 1
            with transaction(self._sessions) as session:
                d_monitor_id = self._record_change(session, change_id)
                session.execute(
                    update(FailoverClaim)
                    .where(
                        FailoverClaim.state_change_id == change_id, FailoverClaim.claimed_by == self.worker
                    )
                    .values(done_at=self._clock())
                )
            if d_monitor_id is not None:
                touched.add(d_monitor_id)
        read_to = head if len(waiting) < self.tuning.batch else int(waiting[-1][0])
        self._advance(cursor, read_to, now)
        return taken, touched

    def _advance(self, cursor: int, read_to: int, now: datetime) -> None:
        """Move the shared cursor up to the first D-Monitor change not done, no further than
        a head seen `cursor_settle` ago; it never moves back."""
        settled = None
        while self._heads and self._heads[0][0] <= now - self.tuning.cursor_settle:
            settled = self._heads.popleft()
        if settled is not None:
            # Keep the newest settled head for the next round.
            self._heads.appendleft(settled)
        if settled is None:
            return
        target = min(read_to, settled[1])
        if target <= cursor:
            return
        with self._sessions() as session:
            first_open = session.scalar(_not_done(cursor, target).with_only_columns(func.min(StateChange.id)))
        if first_open is not None:
            target = int(first_open) - 1
        if target <= cursor:
            return
        try:
            with transaction(self._sessions) as session:
                moved = session.execute(
                    update(FailoverCursor)
                    .where(FailoverCursor.name == CURSOR, FailoverCursor.last_id < target)
                    .values(last_id=target, updated_at=now)
                )
                if moved.rowcount == 0 and session.get(FailoverCursor, CURSOR) is None:  # type: ignore[attr-defined]
                    session.add(FailoverCursor(name=CURSOR, last_id=target, updated_at=now))
        except IntegrityError:  # another process made the row first; the next round moves it
            return

    def _claim(self, change_id: int, now: datetime) -> bool:
        until = now + self.tuning.claim_lease
        try:
            with transaction(self._sessions) as session:
                existing = session.get(FailoverClaim, change_id)
                if existing is None:
                    session.add(
                        FailoverClaim(state_change_id=change_id, claimed_by=self.worker, claimed_until=until)
                    )
                    return True
                taken = session.execute(
                    update(FailoverClaim)
                    .where(
                        FailoverClaim.state_change_id == change_id,
                        FailoverClaim.done_at.is_(None),
                        FailoverClaim.claimed_until < now,
                    )
                    .values(claimed_by=self.worker, claimed_until=until)
                )
                return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
        except IntegrityError:  # another process inserted the claim first
            return False

    def _record_change(self, session: Session, change_id: int) -> int | None:
        change = session.get(StateChange, change_id)
        if change is None:
            return None
        row = session.scalars(select(DMonitor).where(DMonitor.monitor_id == change.monitor_id)).first()
        if row is None:
            return None
        record = session.get(DnsRecord, row.record_id)
        domain = session.get(DnsDomain, row.domain_id)
        if record is None or domain is None:
            return row.id
        if row.ip_since is not None and change.created_at < row.ip_since:
            return row.id  # about the IP the record had before Record.Modify
        details = session.scalars(
            select(CheckRun.details)
            .where(CheckRun.check_id == change.check_id, CheckRun.started_at <= change.created_at)
            .order_by(CheckRun.started_at.desc())
            .limit(1)
        ).first()
        code = status_code_of(details)
        now = self._clock()
        callback_status: str | None = None
        agreed = change.kind != "failed" or self._points_agree(
            session, row, change.check_id, change.created_at
        )
        if not agreed:
            # This location's failure alone: most of the D-Monitor's points see the IP up.
            row.updated_at = now
            return row.id
        if change.kind == "failed":
            # Already Down: a late majority (late_downs) told it before this change was read.
            callback_status = None if row.status == "Down" else "Down"
            row.status = "Down"
            down = latest_down(session, row.id)
            if down is None or down.recovered_at is not None:
                session.add(
                    DMonitorDown(
                        team_id=row.team_id,
                        d_monitor_id=row.id,
                        host=row.host,
                        record_line=record.line,
                        ip=row.ip,
                        warn_reason=change.reason[:1000],
                        switch_log=[],
                        created_at=change.created_at,
                        recovered_at=None,
                    )
                )
        elif change.kind == "recovered":
            was, row.status = row.status, "Warn" if change.to_status == "warning" else "Ok"
            # Told only as a change: a failure the points never confirmed was never told.
            callback_status = row.status if row.status != was else None
            down = latest_down(session, row.id)
            if down is not None and down.recovered_at is None:
                down.recovered_at = change.created_at
        elif change.kind == "warning":
            row.status = "Warn"
        elif change.kind == "fixed":
            row.status = "Ok"
        row.status_code = code
        row.updated_at = now
        if callback_status is not None and row.callback_url:
            event = CallbackEvent(
                monitor_id=str(row.id),
                domain_id=domain.id,
                domain=domain.name,
                record_id=record.id,
                sub_domain=record.sub_domain,
                record_line=record.line,
                ip=row.ip,
                status=callback_status,
                status_code=code,
                reason=change.reason if callback_status == "Down" else "",
                at=change.created_at,
            )
            self._owe_callback(session, row, change.id, event, now)
        session.flush()
        return row.id

    def _points_agree(self, session: Session, row: DMonitor, check_id: int, at: datetime) -> bool:
        """This location found the IP down (confirmed); do most of the points?"""
        since = at - timedelta(seconds=2 * max(row.monitor_interval, 60))
        return points_down(session, self.executor.tuning.points, row.points, check_id, True, since)

    # -- 2a. a record moved to an IP that is already down ------------------------------------

    def fresh_downs(self) -> list[int]:
        """D-Monitors whose record Record.Modify moved to an IP the check finds down from its
        first runs on it: the check was down before and stays down, so the engine records no
        change. Each gets its outage (once: an outage since `ip_since` exists afterwards)."""
        with self._sessions() as session:
            moved = select(DMonitor.monitor_id).where(
                DMonitor.enabled.is_(True), DMonitor.ip_since.is_not(None)
            )
            rows = session.execute(
                select(DMonitor.id, DMonitor.ip_since, CheckState.changed_at, CheckState.last_run_at)
                .join(Check, (Check.monitor_id == DMonitor.monitor_id) & (Check.type == "uptime"))
                .join(CheckState, CheckState.check_id == Check.id)
                .where(
                    DMonitor.enabled.is_(True),
                    DMonitor.ip_since.is_not(None),
                    CheckState.status == "down",
                    # Leads the plan to the few D-Monitors' checks: by the checks' type
                    # index SQLite read every uptime check's state (250 ms a round at
                    # 100,000 monitors).
                    Check.monitor_id.in_(moved),
                )
            ).all()
        opened = []
        for d_monitor_id, ip_since, changed_at, last_run_at in rows:
            # Down since before the move, and a run (by its start) has looked at the new IP.
            if ip_since is None or changed_at is None or last_run_at is None:
                continue
            if not changed_at < ip_since <= last_run_at:
                continue
            with transaction(self._sessions) as session:
                if self._open_fresh_down(session, d_monitor_id):
                    opened.append(d_monitor_id)
        return opened

    def _open_fresh_down(self, session: Session, d_monitor_id: int) -> bool:
        row = session.scalars(select(DMonitor).where(DMonitor.id == d_monitor_id).with_for_update()).first()
        if row is None or row.ip_since is None or row.monitor_id is None or not row.enabled:
            return False
        seen = session.scalars(
            select(DMonitorDown.id)
            .where(DMonitorDown.d_monitor_id == row.id, DMonitorDown.created_at >= row.ip_since)
            .limit(1)
        ).first()
        if seen is not None:
            return False
        check = session.execute(
            select(Check.id, CheckState.status, CheckState.changed_at)
            .join(CheckState, CheckState.check_id == Check.id)
            .where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
        ).first()
        if check is None or check[1] != "down" or check[2] is None or check[2] >= row.ip_since:
            return False
        run = session.execute(
            select(CheckRun.started_at, CheckRun.summary, CheckRun.details)
            .where(CheckRun.check_id == check[0], CheckRun.started_at >= row.ip_since)
            .order_by(CheckRun.started_at.desc())
            .limit(1)
        ).first()
        # Never before `ip_since`: a run's start is kept to the millisecond, rounded down, so a
        # run in the millisecond the IP changed would date the outage before it, and the
        # check above would not see it and open it again.
        at = max(run[0], row.ip_since) if run is not None else row.ip_since
        if not self._points_agree(session, row, check[0], at):
            return False
        if not self._open_outage(session, row, at, run):
            return False
        log.info("D-Monitor %s: its new IP %s is down; outage opened", row.id, row.ip)
        return True

    # -- 2b. a failure the points confirm after it was made ---------------------------------

    def late_downs(self) -> list[int]:
        """D-Monitors whose check went down while most of their points did not (yet) find
        the IP down, so its `failed` change opened no outage: the check stays down without
        another change, and each round asks the points again, opening the outage once they
        agree (a point location whose runs came in after the change)."""
        with self._sessions() as session:
            watched = select(DMonitor.monitor_id).where(DMonitor.enabled.is_(True), DMonitor.status != "Down")
            rows = session.execute(
                select(DMonitor.id)
                .join(Check, (Check.monitor_id == DMonitor.monitor_id) & (Check.type == "uptime"))
                .join(CheckState, CheckState.check_id == Check.id)
                .where(
                    DMonitor.enabled.is_(True),
                    DMonitor.status != "Down",
                    CheckState.status == "down",
                    Check.monitor_id.in_(watched),  # led to the D-Monitors' checks, as above
                )
            ).all()
        opened = []
        for (d_monitor_id,) in rows:
            with transaction(self._sessions) as session:
                if self._open_late_down(session, d_monitor_id):
                    opened.append(d_monitor_id)
        return opened

    def _open_late_down(self, session: Session, d_monitor_id: int) -> bool:
        row = session.scalars(select(DMonitor).where(DMonitor.id == d_monitor_id).with_for_update()).first()
        if row is None or row.monitor_id is None or not row.enabled or row.status == "Down":
            return False
        check = session.execute(
            select(Check.id, CheckState.status, CheckState.changed_at)
            .join(CheckState, CheckState.check_id == Check.id)
            .where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
        ).first()
        if check is None or check[1] != "down" or check[2] is None:
            return False
        if row.ip_since is not None and check[2] < row.ip_since:
            return False  # down since before Record.Modify: fresh_downs' case
        down = latest_down(session, row.id)
        if down is not None and down.recovered_at is None:
            return False
        # The latest run dates the outage: the one that made the points agree, or after it.
        run = session.execute(
            select(CheckRun.started_at, CheckRun.summary, CheckRun.details)
            .where(CheckRun.check_id == check[0])
            .order_by(CheckRun.started_at.desc())
            .limit(1)
        ).first()
        at = run[0] if run is not None else self._clock()
        if not self._points_agree(session, row, check[0], at):
            return False
        if not self._open_outage(session, row, at, run):
            return False
        log.info("D-Monitor %s: most of its points now find %s down; outage opened", row.id, row.ip)
        return True

    def _open_outage(self, session: Session, row: DMonitor, at: datetime, run: Any) -> bool:
        """Mark the D-Monitor down, open its outage at `at` and owe its Down callback; `run`
        (started_at, summary, details) gives the reason, None: "Down"."""
        record = session.get(DnsRecord, row.record_id)
        domain = session.get(DnsDomain, row.domain_id)
        if record is None or domain is None:
            return False
        now = self._clock()
        reason = str(run[1]) if run is not None else "Down"
        code = status_code_of(run[2]) if run is not None else 0
        row.status, row.status_code, row.updated_at = "Down", code, now
        session.add(
            DMonitorDown(
                team_id=row.team_id,
                d_monitor_id=row.id,
                host=row.host,
                record_line=record.line,
                ip=row.ip,
                warn_reason=reason[:1000],
                switch_log=[],
                created_at=at,
                recovered_at=None,
            )
        )
        if row.callback_url:
            event = CallbackEvent(
                monitor_id=str(row.id),
                domain_id=domain.id,
                domain=domain.name,
                record_id=record.id,
                sub_domain=record.sub_domain,
                record_line=record.line,
                ip=row.ip,
                status="Down",
                status_code=code,
                reason=reason,
                at=at,
            )
            self._owe_callback(session, row, None, event, now)
        session.flush()
        return True

    @staticmethod
    def _owe_callback(
        session: Session, row: DMonitor, change_id: int | None, event: CallbackEvent, now: datetime
    ) -> None:
        status = PENDING
        if row.less_notice:
            # less_notice=yes: at most one notice an hour; the rest are kept, not sent.
            recent = session.scalar(
                select(func.count())
                .select_from(FailoverCallback)
                .where(
                    FailoverCallback.d_monitor_id == row.id,
                    FailoverCallback.status != SUPPRESSED,
                    FailoverCallback.created_at > now - LESS_NOTICE_EVERY,
                )
            )
            if int(recent or 0) > 0:
                status = SUPPRESSED
        session.add(
            FailoverCallback(
                d_monitor_id=row.id,
                state_change_id=change_id,
                url=row.callback_url,
                form=callback_form(event, row.callback_key),
                status=status,
                attempts=0,
                due_at=now,
                created_at=now,
            )
        )

    # -- 2. D-Monitors to look at again ----------------------------------------------------

    def active_monitors(self) -> list[int]:
        """Enabled D-Monitors that are down, switched, or have an intent pending."""
        with self._sessions() as session:
            pending = set(
                session.scalars(
                    select(FailoverSwitch.d_monitor_id).where(FailoverSwitch.status == SWITCH_PENDING)
                ).all()
            )
            rows = session.execute(
                select(DMonitor.id, DMonitor.status, DMonitor.switch_state).where(DMonitor.enabled.is_(True))
            ).all()
        return [d_id for d_id, status, state in rows if status == "Down" or state or d_id in pending]

    def backups_due(self) -> list[int]:
        """Enabled D-Monitors with backup IPs whose last probe is older than their interval."""
        now = self._clock()
        with self._sessions() as session:
            rows = session.execute(
                select(DMonitor.id, DMonitor.bak_ip, DMonitor.monitor_interval, DMonitor.backup_health).where(
                    DMonitor.enabled.is_(True), DMonitor.bak_ip.not_in(BAK_IP_MODES)
                )
            ).all()
        due = []
        for d_id, bak_ip, interval, health in rows:
            every = self.tuning.backup_probe_every_s or float(interval)
            health = health or {}
            seen = [_parse_at(health.get(ip, {}).get("at")) for ip in BakIp.parse(bak_ip).backups]
            if any(at is None or (now - at).total_seconds() >= every for at in seen):
                due.append(d_id)
        return due

    # -- 4. retention --------------------------------------------------------------------

    def prune(self) -> int:
        """Delete claims and finished callbacks (with their attempts) older than the
        retention, a batch per transaction; returns how many rows went."""
        cutoff = self._clock() - self.tuning.retention
        return self._prune_claims(cutoff) + self._prune_callbacks(cutoff)

    def _prune_claims(self, cutoff: datetime) -> int:
        """Claims below the cursor (every change there is done or no longer a D-Monitor's),
        oldest first by primary key: a claim is finished within seconds of its change, so
        key order is age order and a batch stops at the first one still kept."""
        total, after = 0, -1
        while True:
            with transaction(self._sessions) as session:
                cursor = int(
                    session.scalar(select(FailoverCursor.last_id).where(FailoverCursor.name == CURSOR)) or 0
                )
                batch = session.execute(
                    select(FailoverClaim.state_change_id, FailoverClaim.done_at, FailoverClaim.claimed_until)
                    .where(FailoverClaim.state_change_id > after, FailoverClaim.state_change_id <= cursor)
                    .order_by(FailoverClaim.state_change_id)
                    .limit(self.tuning.prune_batch)
                ).all()
                old = []
                for change_id, done_at, claimed_until in batch:
                    if (done_at or claimed_until) >= cutoff:
                        break
                    old.append(change_id)
                if old:
                    session.execute(delete(FailoverClaim).where(FailoverClaim.state_change_id.in_(old)))
            total += len(old)
            if len(old) < self.tuning.prune_batch:
                return total
            after = old[-1]

    def _prune_callbacks(self, cutoff: datetime) -> int:
        """Callbacks sent, failed or suppressed before the cutoff (the status-and-due index:
        a finished callback's due_at is its last try), and their attempts (by callback)."""
        total = 0
        for status in (SENT, FAILED, SUPPRESSED):
            while True:
                with transaction(self._sessions) as session:
                    ids = list(
                        session.scalars(
                            select(FailoverCallback.id)
                            .where(FailoverCallback.status == status, FailoverCallback.due_at < cutoff)
                            .limit(self.tuning.prune_batch)
                        ).all()
                    )
                    if ids:
                        attempts = session.execute(
                            delete(FailoverCallbackAttempt).where(
                                FailoverCallbackAttempt.callback_id.in_(ids)
                            )
                        )
                        session.execute(delete(FailoverCallback).where(FailoverCallback.id.in_(ids)))
                        total += len(ids) + int(attempts.rowcount or 0)  # type: ignore[attr-defined]
                if len(ids) < self.tuning.prune_batch:
                    break
        return total


def _not_done(after: int, up_to: int) -> Select[Any]:
    """The D-Monitor uptime changes in (after, up_to] without a finished claim.

    Written so that the plan walks the id range and looks each change's monitor up among
    the D-Monitors: joined to `checks` by type, SQLite started from every uptime check and
    probed its changes (60 ms a round at 100,000 monitors with no D-Monitor at all)."""
    is_uptime = exists().where(Check.id == StateChange.check_id, Check.type == "uptime")
    return (
        select(StateChange.id)
        .outerjoin(FailoverClaim, FailoverClaim.state_change_id == StateChange.id)
        .where(
            StateChange.id > after,
            StateChange.id <= up_to,
            StateChange.monitor_id.in_(select(DMonitor.monitor_id)),
            is_uptime,
            FailoverClaim.done_at.is_(None),
        )
    )


def _parse_at(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def provider_from_settings(sessions: sessionmaker[Session], settings: Settings) -> tuple[DnsProvider, bool]:
    """The provider failover reads back from, and whether it must also publish to it: RFC
    2136 when LOOKOUT_DNS_UPDATE_SERVER is set, else Lookout's own record table."""
    if settings.dns_update_server:
        secret = settings.dns_tsig_secret.get_secret_value() if settings.dns_tsig_secret else ""
        server = UpdateServer.parse(
            settings.dns_update_server, settings.dns_tsig_key_name or "", settings.dns_tsig_algorithm, secret
        )
        return Rfc2136Provider(server), True
    return RecordsProvider(sessions), False


def build_failover_consumer(
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: Callable[[], datetime] = _utcnow,
) -> FailoverConsumer:
    resolver = Resolver.from_setting(settings.dns_resolvers)
    guard = TargetGuard(resolver, allow_private=settings.allow_private_targets)
    provider, publishes = provider_from_settings(sessions, settings)
    poll = settings.failover_poll_seconds
    tuning = ConsumerTuning(
        poll_s=poll,
        reconcile_every_s=poll * 5,
        backup_probe_every_s=settings.dmonitor_interval_seconds,
        executor=ExecutorTuning(
            confirm_gap_s=poll, points=PointMap.from_setting(settings.location, settings.dmonitor_points)
        ),
        retention=timedelta(days=settings.run_retention_days),
    )
    executor = FailoverExecutor(
        sessions,
        provider,
        Prober(lambda: HttpClient(guard)),
        clock,
        tuning.executor,
        publishes=publishes,
    )
    callbacks = CallbackSender(sessions, lambda: HttpClient(guard), clock, tuning.callbacks)
    return FailoverConsumer(sessions, executor, callbacks, tuning, clock)
