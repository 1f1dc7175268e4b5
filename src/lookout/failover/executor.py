"""The failover executor: turns a D-Monitor's state into DNS changes, safely.

For one D-Monitor it gathers what the policy needs (the record, the other records of the
domain, the original IP's health from the check engine, backup IPs' health from probes),
asks `policy.decide`, and when the answer edits records:

1. stores the intent (a `failover_switches` row, `pending`) in a transaction that first
   makes sure no other intent is pending and the switch state is still the one decided
   from (compare-and-set on the D-Monitor row);
2. applies it: the record table (Lookout's truth) is edited by record id, then the whole
   RRset is published through the provider (RFC 2136 when configured);
3. reads the RRset back from the provider and marks the intent `applied` only when the
   answer is what was intended, moving the D-Monitor's `switch_state` and `now_ip` and
   adding the line to the outage's `switch_log` in the same transaction.

A crash or a provider failure between 1 and 3 leaves the intent `pending`; the next round
(here or in another process) applies it before deciding anything new. Every step is
idempotent: editing rows to the same values and replacing a whole RRset twice change
nothing.

Hysteresis: the engine declares the IP down only after its quick re-checks confirm it; the
way back waits for `confirm_probes` probes of the original IP in a row, and after a recent
switch back (a flapping server) the original must stay up for `flap_hold_back` first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.failover import policy
from lookout.failover.base import ChangeSet, DnsProvider, DnsProviderError, RecordSet
from lookout.failover.points import points_down
from lookout.failover.probe import Probe, Prober, Site
from lookout.model.dmonitor_points import PointMap
from lookout.store.db import transaction
from lookout.store.tables.dns import DMonitor, DMonitorDown, DnsDomain, DnsRecord
from lookout.store.tables.failover import FailoverSwitch
from lookout.store.tables.monitor import Check
from lookout.store.tables.runs import CheckState

log = logging.getLogger(__name__)

# An intent is pending until applied; a person's edit (D-Monitor removed or disabled,
# record modified) cancels a pending one (services/dns/switches.py).
PENDING, APPLIED, CANCELLED = "pending", "applied", "cancelled"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PUBLISHED_TYPES = ("A", "AAAA", "CNAME")
MAX_CANDIDATES = 10


@dataclass(frozen=True, slots=True)
class ExecutorTuning:
    confirm_probes: int = 3
    confirm_gap_s: float = 1.0
    hold_back: timedelta = timedelta(0)
    flap_window: timedelta = timedelta(minutes=30)
    flap_hold_back: timedelta = policy.HOLD_BACK
    low_ttl: int = policy.LOW_TTL
    points: PointMap = field(default_factory=PointMap)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One D-Monitor as the policy needs it, read in one session."""

    d_monitor_id: int
    zone: str
    site: Site
    record: policy.Record
    original_ip: str
    others: tuple[policy.Record, ...]
    bak: policy.BakIp
    state: policy.SwitchState
    keep_ttl: bool
    check_status: str  # the engine's: unknown, up, warning, down
    check_changed_at: datetime | None
    # The check's latest run and since when it watches this IP: a verdict from runs
    # before that is about the IP the record had before Record.Modify.
    check_last_run_at: datetime | None
    ip_since: datetime | None
    last_back_at: datetime | None
    pending_switch: int | None


def fqdn(sub_domain: str, zone: str) -> str:
    return zone if sub_domain == "@" else f"{sub_domain}.{zone}"


def state_of(raw: dict[str, Any] | None) -> policy.SwitchState:
    raw = raw or {}
    ttl = raw.get("original_ttl")
    return policy.SwitchState(
        switched_to=raw.get("switched_to") or None,
        paused=bool(raw.get("paused", False)),
        original_ttl=int(ttl) if isinstance(ttl, int) else None,
    )


def _record(row: DnsRecord) -> policy.Record:
    return policy.Record(row.id, row.sub_domain, row.type, row.line, row.value, row.enabled, row.ttl)


def stamp(at: datetime, line: str) -> str:
    return f"{at.strftime(TIME_FORMAT)} {line}"


class FailoverExecutor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        provider: DnsProvider,
        prober: Prober,
        clock: Callable[[], datetime],
        tuning: ExecutorTuning | None = None,
        *,
        publishes: bool = True,
    ) -> None:
        """`provider` is where DNS is read back from; `publishes` says whether it must be
        sent the RRset too (False for the records provider: the table edit is the change)."""
        self._sessions = sessions
        self._provider = provider
        self._publishes = publishes
        self._prober = prober
        self._clock = clock
        self.tuning = tuning or ExecutorTuning()
        self._locks: dict[int, asyncio.Lock] = {}

    # -- one round for one D-Monitor --------------------------------------------------------

    async def reconcile(self, d_monitor_id: int) -> None:
        lock = self._locks.setdefault(d_monitor_id, asyncio.Lock())
        async with lock:
            snapshot = await asyncio.to_thread(self.snapshot, d_monitor_id)
            if snapshot is None:
                return
            if snapshot.pending_switch is not None:
                if not await self.apply(snapshot.pending_switch):
                    return
                snapshot = await asyncio.to_thread(self.snapshot, d_monitor_id)
                if snapshot is None:
                    return
            decision = await self.decide(snapshot)
            if not decision.changes_dns:
                if decision.log:
                    await asyncio.to_thread(self._note, d_monitor_id, decision.log)
                return
            switch_id = await asyncio.to_thread(self.store_intent, snapshot, decision)
            if switch_id is not None:
                await self.apply(switch_id)

    def snapshot(self, d_monitor_id: int) -> Snapshot | None:
        with self._sessions() as session:
            row = session.get(DMonitor, d_monitor_id)
            if row is None or not row.enabled:
                return None
            record = session.get(DnsRecord, row.record_id)
            domain = session.get(DnsDomain, row.domain_id)
            if record is None or domain is None:
                return None
            others = session.scalars(
                select(DnsRecord).where(
                    DnsRecord.domain_id == row.domain_id,
                    DnsRecord.sub_domain == record.sub_domain,
                    DnsRecord.type == record.type,
                    DnsRecord.id != record.id,
                )
            ).all()
            check = None
            if row.monitor_id is not None:
                check = session.execute(
                    select(CheckState.status, CheckState.changed_at, CheckState.last_run_at, Check.id)
                    .join(Check, Check.id == CheckState.check_id)
                    .where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
                ).first()
            check_status = str(check[0]) if check is not None else "unknown"
            if check is not None and check_status == "down":
                since = (check[2] or self._clock()) - timedelta(seconds=2 * max(row.monitor_interval, 60))
                if not points_down(session, self.tuning.points, row.points, check[3], True, since):
                    check_status = "unknown"  # this location alone; most points do not agree
            moved_at = row.ip_since
            if check is not None and check_status == "down" and moved_at and check[1] and check[1] < moved_at:
                # Record.Modify moved the record to an IP the check still finds down: the
                # switch's line goes to the latest outage, so wait until the consumer has
                # opened the new IP's (fresh_downs) rather than log it in the old IP's.
                down = latest_down(session, row.id)
                if down is None or down.created_at < moved_at:
                    check_status = "unknown"
            pending = session.scalars(
                select(FailoverSwitch.id)
                .where(FailoverSwitch.d_monitor_id == row.id, FailoverSwitch.status == PENDING)
                .order_by(FailoverSwitch.id)
                .limit(1)
            ).first()
            last_back = session.scalars(
                select(FailoverSwitch.applied_at)
                .where(
                    FailoverSwitch.d_monitor_id == row.id,
                    FailoverSwitch.status == APPLIED,
                    FailoverSwitch.log.like("%is up again%"),
                )
                .order_by(FailoverSwitch.id.desc())
                .limit(1)
            ).first()
            return Snapshot(
                d_monitor_id=row.id,
                zone=domain.name,
                site=Site(row.host, row.port, row.monitor_type, row.monitor_path),
                record=_record(record),
                original_ip=row.ip,
                others=tuple(_record(other) for other in others),
                bak=policy.BakIp.parse(row.bak_ip),
                state=state_of(row.switch_state),
                keep_ttl=row.keep_ttl,
                check_status=check_status,
                check_changed_at=check[1] if check is not None else None,
                check_last_run_at=check[2] if check is not None else None,
                ip_since=row.ip_since,
                last_back_at=last_back,
                pending_switch=pending,
            )

    async def decide(self, snap: Snapshot) -> policy.Decision:
        now = self._clock()
        health: dict[str, policy.Health] = {}
        since = snap.check_changed_at or now
        original = snap.original_ip
        check_status = snap.check_status
        last_seen = snap.check_last_run_at or snap.check_changed_at
        if snap.ip_since is not None and (last_seen is None or last_seen < snap.ip_since):
            check_status = "unknown"  # no run has looked at this IP yet
        if check_status == "down":
            health[original] = policy.Health(False, since)
        elif check_status in ("up", "warning"):
            up = True
            if snap.state.active:
                # The way back is confirmed by probes of our own: a server that drops every
                # other connection does not pass three in a row.
                up = await self._confirmed(snap.site, original)
            health[original] = policy.Health(up, since if up else now)
        needs_spare = snap.state.active or health.get(original, policy.Health(True, now)).up is False
        if needs_spare and snap.bak.mode not in (policy.Mode.PASS, policy.Mode.PAUSE2):
            candidates = self._candidates(snap)
            probes = await self._prober.many_probes(snap.site, candidates)
            serving = snap.state.switched_to
            if serving in probes and not probes[serving].up:
                # The backup in use is asked twice before it is called down: one lost probe
                # (a busy server, a dropped SYN) is not worth a line in the switch log.
                probes[serving] = await self._prober.probe(snap.site, serving)
            for ip, probe in probes.items():
                health[ip] = policy.Health(probe.up, now)
            if snap.bak.mode is policy.Mode.BACKUPS:
                await asyncio.to_thread(self.note_backups, snap.d_monitor_id, probes)
        hold = self.tuning.hold_back
        if snap.last_back_at is not None and now - snap.last_back_at < self.tuning.flap_window:
            hold = max(hold, self.tuning.flap_hold_back)
        return policy.decide(
            snap.record,
            original,
            snap.others,
            snap.bak,
            health,
            snap.state,
            keep_ttl=snap.keep_ttl,
            now=now,
            hold_back=hold,
            low_ttl=self.tuning.low_ttl,
        )

    @staticmethod
    def _candidates(snap: Snapshot) -> list[str]:
        if snap.bak.mode is policy.Mode.BACKUPS:
            ips = list(snap.bak.backups)
        else:
            ips = [other.value for other in snap.others if other.enabled]
        if snap.state.switched_to:
            ips.append(snap.state.switched_to)
        return [ip for ip in dict.fromkeys(ips) if ip != snap.original_ip][:MAX_CANDIDATES]

    async def _confirmed(self, site: Site, ip: str) -> bool:
        for attempt in range(self.tuning.confirm_probes):
            if attempt:
                await asyncio.sleep(self.tuning.confirm_gap_s)
            if not await self._prober.up(site, ip):
                return False
        return True

    # -- 1. the intent --------------------------------------------------------------------

    def store_intent(self, snap: Snapshot, decision: policy.Decision) -> int | None:
        """The switch row, or None when another round changed the D-Monitor meanwhile."""
        now = self._clock()
        with transaction(self._sessions) as session:
            row = session.scalars(
                select(DMonitor).where(DMonitor.id == snap.d_monitor_id).with_for_update()
            ).first()
            if row is None or state_of(row.switch_state) != snap.state:
                return None
            pending = session.scalars(
                select(FailoverSwitch.id).where(
                    FailoverSwitch.d_monitor_id == row.id, FailoverSwitch.status == PENDING
                )
            ).first()
            if pending is not None:
                return None
            switch = FailoverSwitch(
                d_monitor_id=row.id,
                edits=[asdict(edit) for edit in decision.edits],
                new_state=_state_json(decision.state),
                log=decision.log[:1024],
                status=PENDING,
                attempts=0,
                error=None,
                created_at=now,
                applied_at=None,
            )
            session.add(switch)
            session.flush()
            log.info("D-Monitor %s: intends %s", row.id, decision.log)
            return switch.id

    # -- 2. apply and 3. read back --------------------------------------------------------

    async def apply(self, switch_id: int) -> bool:
        """Apply a stored intent; True when it is applied and read back as intended."""
        expected = await asyncio.to_thread(self._edit_table, switch_id)
        if expected is None:
            return False
        change, zone = expected
        error: str | None = None
        try:
            if self._publishes:
                await self._provider.apply(change)
            for wanted in change.sets:
                got = await self._provider.read(zone, wanted.name, wanted.type)
                if (got.values if got else ()) != wanted.values or (got and got.ttl != wanted.ttl):
                    error = f"read back {got.values if got else 'nothing'} instead of {wanted.values}"
                    break
        except DnsProviderError as exc:
            error = str(exc)
        outcome = await asyncio.to_thread(self._finish, switch_id, error)
        if outcome == CANCELLED:
            # A person closed the switch while this was on its way: the table has their
            # values, and what was just published may be older than what they published.
            await self._republish(change)
            return False
        if error is not None:
            log.warning("switch %s not applied yet: %s", switch_id, error)
        return error is None

    async def _republish(self, change: ChangeSet) -> None:
        if not self._publishes:
            return
        keys = [(wanted.name, wanted.type) for wanted in change.sets]
        current = await asyncio.to_thread(self._table_sets, change.zone, keys)
        if current is None:
            return
        try:
            await self._provider.apply(current)
        except DnsProviderError as exc:
            log.warning("republishing %s after a cancelled switch failed: %s", change.zone, exc)

    def _table_sets(self, zone: str, names: list[tuple[str, str]]) -> ChangeSet | None:
        with self._sessions() as session:
            domain = session.scalars(select(DnsDomain).where(DnsDomain.name == zone)).first()
            if domain is None:
                return None
            keys = set()
            for name, rtype in names:
                sub = "@" if name == zone else name.removesuffix("." + zone)
                keys.add((domain.id, sub, rtype))
            sets = _record_sets(session, keys)
            return ChangeSet(zone, tuple(sets)) if sets else None

    # -- backup IPs' health, for Monitor.Info's bak_ip_status ------------------------------

    async def refresh_backups(self, d_monitor_id: int) -> None:
        """Probe a D-Monitor's backup IPs now and keep what they said."""
        with self._sessions() as session:
            row = session.get(DMonitor, d_monitor_id)
            if row is None or not row.enabled:
                return
            bak = policy.BakIp.parse(row.bak_ip)
            site = Site(row.host, row.port, row.monitor_type, row.monitor_path)
        if bak.mode is not policy.Mode.BACKUPS or not bak.backups:
            return
        probes = await self._prober.many_probes(site, bak.backups[:MAX_CANDIDATES])
        await asyncio.to_thread(self.note_backups, d_monitor_id, probes)

    def note_backups(self, d_monitor_id: int, probes: dict[str, Probe]) -> None:
        at = self._clock().strftime(TIME_FORMAT)
        with transaction(self._sessions) as session:
            row = session.get(DMonitor, d_monitor_id)
            if row is None:
                return
            wanted = set(policy.BakIp.parse(row.bak_ip).backups)
            health = {ip: seen for ip, seen in (row.backup_health or {}).items() if ip in wanted}
            for ip, probe in probes.items():
                if ip in wanted:
                    health[ip] = {"status": probe.status, "status_code": probe.status_code, "at": at}
            row.backup_health = health

    def _edit_table(self, switch_id: int) -> tuple[ChangeSet, str] | None:
        now = self._clock()
        with transaction(self._sessions) as session:
            switch = session.get(FailoverSwitch, switch_id)
            if switch is None or switch.status != PENDING:
                return None
            switch.attempts += 1
            keys: set[tuple[int, str, str]] = set()
            for edit in switch.edits:
                record = session.get(DnsRecord, int(edit["record_id"]))
                if record is None:
                    continue
                if edit.get("value") is not None:
                    record.value = str(edit["value"])
                if edit.get("enabled") is not None:
                    record.enabled = bool(edit["enabled"])
                if edit.get("ttl") is not None:
                    record.ttl = int(edit["ttl"])
                record.updated_at = now
                keys.add((record.domain_id, record.sub_domain, record.type))
            session.flush()
            sets = _record_sets(session, keys)
            if not sets:
                return None
            zone = _zone_of(session, keys)
            return ChangeSet(zone, tuple(sets)), zone

    def _finish(self, switch_id: int, error: str | None) -> str:
        """The intent's status after this attempt: applied, pending (error) or cancelled."""
        now = self._clock()
        with transaction(self._sessions) as session:
            switch = session.get(FailoverSwitch, switch_id)
            if switch is None:
                return CANCELLED
            if switch.status != PENDING:
                return switch.status
            if error is not None:
                switch.error = error[:1024]
                return PENDING
            switch.status, switch.applied_at, switch.error = APPLIED, now, None
            row = session.get(DMonitor, switch.d_monitor_id)
            if row is None:
                return APPLIED
            row.switch_state = dict(switch.new_state)
            state = state_of(row.switch_state)
            row.now_ip = state.switched_to or row.ip
            row.updated_at = now
            _append_log(session, row, stamp(now, switch.log))
            return APPLIED

    def _note(self, d_monitor_id: int, line: str) -> None:
        """A decision without edits (monitoring only, no spare): logged once per outage."""
        now = self._clock()
        with transaction(self._sessions) as session:
            row = session.get(DMonitor, d_monitor_id)
            if row is not None:
                _append_log(session, row, stamp(now, line), unless_last_is=line)


def _record_sets(session: Session, keys: set[tuple[int, str, str]]) -> list[RecordSet]:
    """The whole RRsets of (domain id, sub_domain, type) as the record table has them."""
    sets = []
    for domain_id, sub_domain, rtype in sorted(keys):
        domain = session.get(DnsDomain, domain_id)
        if domain is None or rtype not in PUBLISHED_TYPES:
            continue
        rows = session.scalars(
            select(DnsRecord).where(
                DnsRecord.domain_id == domain_id,
                DnsRecord.sub_domain == sub_domain,
                DnsRecord.type == rtype,
                DnsRecord.enabled.is_(True),
            )
        ).all()
        values = [row.value for row in rows] if domain.status == "enable" else []
        ttl = min((row.ttl for row in rows), default=domain.ttl)
        sets.append(RecordSet.of(fqdn(sub_domain, domain.name), rtype, ttl, values))
    return sets


def _zone_of(session: Session, keys: set[tuple[int, str, str]]) -> str:
    domain = session.get(DnsDomain, max(keys)[0])
    return domain.name if domain is not None else ""


def _state_json(state: policy.SwitchState) -> dict[str, Any]:
    if not state.active:
        return {}
    return {"switched_to": state.switched_to, "paused": state.paused, "original_ttl": state.original_ttl}


def _down_before_the_move(changed_at: datetime | None, ip_since: datetime | None) -> bool:
    return changed_at is not None and ip_since is not None and changed_at < ip_since


def latest_down(session: Session, d_monitor_id: int) -> DMonitorDown | None:
    return session.scalars(
        select(DMonitorDown)
        .where(DMonitorDown.d_monitor_id == d_monitor_id)
        .order_by(DMonitorDown.id.desc())
        .limit(1)
    ).first()


def _append_log(session: Session, row: DMonitor, line: str, unless_last_is: str | None = None) -> None:
    down = latest_down(session, row.id)
    if down is None:
        return
    entries: Sequence[str] = list(down.switch_log or [])
    if unless_last_is is not None and any(entry.endswith(" " + unless_last_is) for entry in entries[-1:]):
        return
    # A new list: the JSON column sees the assignment, not an append.
    down.switch_log = [*entries, line][-100:]
