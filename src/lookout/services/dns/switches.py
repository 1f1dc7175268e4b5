"""What a person's edit does to a switch failover made: D-Monitor removed or disabled, or
the watched record modified.

The record table is Lookout's truth and failover edits it by id, so a record switched to a
backup (or paused) holds the backup (or is disabled) until failover switches it back. When
the owner stops the monitor or edits the record, the switch is closed here, in the
owner's transaction: intents not applied yet are cancelled (the executor applies only a
`pending` one and republishes the table when it finds its intent cancelled), the record
gets its own IP, enabled flag and TTL back, and the outage's switch log says why. The
caller publishes the record's RRset after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lookout.failover.executor import CANCELLED, PENDING, latest_down, stamp, state_of
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.tables.dns import DMonitor, DnsRecord
from lookout.store.tables.failover import FailoverSwitch
from lookout.store.tables.monitor import Check, Monitor


@dataclass(frozen=True, slots=True)
class OpenSwitch:
    """Everything failover changed or is about to change on the record."""

    switched_to: str | None
    paused: bool
    original_ttl: int | None

    @property
    def active(self) -> bool:
        return self.switched_to is not None or self.paused


def open_switch(session: Session, row: DMonitor) -> OpenSwitch:
    """The applied switch state together with any intent still pending (whose table edit
    may already be done while its read-back is not)."""
    state = state_of(row.switch_state)
    switched, paused, ttl = state.switched_to, state.paused, state.original_ttl
    pending = session.scalars(
        select(FailoverSwitch.new_state).where(
            FailoverSwitch.d_monitor_id == row.id, FailoverSwitch.status == PENDING
        )
    ).all()
    for raw in pending:
        intended = state_of(raw)
        switched = intended.switched_to or switched
        paused = paused or intended.paused
        ttl = ttl if ttl is not None else intended.original_ttl
    return OpenSwitch(switched, paused, ttl)


def lock(session: Session, d_monitor_id: int) -> DMonitor | None:
    """The D-Monitor row, locked against the executor's compare-and-set on PostgreSQL."""
    return session.scalars(select(DMonitor).where(DMonitor.id == d_monitor_id).with_for_update()).first()


def close_switch(
    session: Session,
    row: DMonitor,
    now: datetime,
    why: str,
    *,
    record_values: dict[str, Any] | None = None,
) -> OpenSwitch:
    """Cancel pending intents, put the record back (`record_values`: what to set instead of
    what the switch changed; None: the D-Monitor's own IP, enabled, the saved TTL), clear the
    switch state and log `why` in the outage, which is closed. Returns what was open."""
    found = open_switch(session, row)
    session.execute(
        update(FailoverSwitch)
        .where(FailoverSwitch.d_monitor_id == row.id, FailoverSwitch.status == PENDING)
        .values(status=CANCELLED, error=why[:1024])
    )
    if not found.active:
        return found
    record = session.get(DnsRecord, row.record_id)
    if record is not None:
        if record_values is None:
            if found.switched_to is not None:
                record.value = row.ip
            if found.paused:
                record.enabled = True
            if found.original_ttl is not None:
                record.ttl = found.original_ttl
        else:
            for key, value in record_values.items():
                setattr(record, key, value)
        record.updated_at = now
    row.switch_state = {}
    row.now_ip = row.ip
    row.updated_at = now
    down = latest_down(session, row.id)
    if down is not None:
        down.switch_log = [*(down.switch_log or []), stamp(now, why)][-100:]
        if down.recovered_at is None:
            down.recovered_at = now
    return found


def end_outage(session: Session, row: DMonitor, now: datetime, why: str) -> None:
    """Close the D-Monitor's open outage, if any, with `why` as its last switch-log line."""
    down = latest_down(session, row.id)
    if down is not None and down.recovered_at is None:
        down.switch_log = [*(down.switch_log or []), stamp(now, why)][-100:]
        down.recovered_at = now


def retarget_check(
    session: Session, monitor_id: int | None, old_ip: str, connect_ip: str | None, now: datetime
) -> None:
    """The D-Monitor's uptime check dials `connect_ip` from its next run, which is now."""
    if monitor_id is None:
        return
    monitor = session.get(Monitor, monitor_id)
    if monitor is not None and connect_ip and monitor.friendly_name:
        monitor.friendly_name = monitor.friendly_name.replace(old_ip, connect_ip)[:255]
    check = session.scalars(
        select(Check).where(Check.monitor_id == monitor_id, Check.type == "uptime")
    ).first()
    if check is None:
        return
    check.settings = {**(check.settings or {}), "connect_ip": connect_ip}
    if check.enabled:
        check.next_run_at = now
    check.updated_at = now
    monitors_repo.update_monitor(session, monitor_id, {"updated_at": now})
