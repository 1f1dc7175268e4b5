"""What DNS failover should do for one monitored record: pure, no I/O, no clock of its own.

Given the record, the other records of its name, the health of every IP involved, the
D-Monitor's `bak_ip` mode and what was switched before, `decide` returns the record edits
to make (or none), a switch-log line, and the new switch state. The executor stores that
intent before applying it, and applies it through a DNS provider.

Modes (B7): `pass` only watches; `pause` pauses the record when another record of the
name is healthy; `pause2` pauses it at once; `auto` serves a healthy IP taken from the
name's other records; a list of IPs serves the first healthy backup. The last enabled
record of a name is never paused; backups must be healthy to be used; everything goes
back when the original IP recovers. Hysteresis: going back waits until the original IP
has stayed up for `hold_back` (a target that flaps stays switched away: one switch away
and one back), and a backup that fails while in use is left for the next healthy one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_LINE = "默认"
LOW_TTL = 60
HOLD_BACK = timedelta(minutes=5)
NO_SPARE = "No available spare server to switch to"


class Mode(StrEnum):
    PASS = "pass"
    PAUSE = "pause"
    PAUSE2 = "pause2"
    AUTO = "auto"
    BACKUPS = "backups"


@dataclass(frozen=True, slots=True)
class BakIp:
    mode: Mode
    backups: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> BakIp:
        value = text.strip().lower()
        if value in (Mode.PASS, Mode.PAUSE, Mode.PAUSE2, Mode.AUTO):
            return cls(Mode(value))
        return cls(Mode.BACKUPS, tuple(part.strip() for part in text.split(",") if part.strip()))


@dataclass(frozen=True, slots=True)
class Record:
    id: int
    sub_domain: str
    type: str
    line: str
    value: str
    enabled: bool
    ttl: int


@dataclass(frozen=True, slots=True)
class Health:
    up: bool
    since: datetime  # when the IP entered this state


@dataclass(frozen=True, slots=True)
class SwitchState:
    """What failover changed on the record and must undo; empty when nothing is switched."""

    switched_to: str | None = None
    paused: bool = False
    original_ttl: int | None = None

    @property
    def active(self) -> bool:
        return self.switched_to is not None or self.paused


@dataclass(frozen=True, slots=True)
class Edit:
    record_id: int
    value: str | None = None
    enabled: bool | None = None
    ttl: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    edits: tuple[Edit, ...] = ()
    log: str = ""
    state: SwitchState = field(default_factory=SwitchState)

    @property
    def changes_dns(self) -> bool:
        return bool(self.edits)


def _healthy(health: Mapping[str, Health], ip: str) -> bool:
    known = health.get(ip)
    return known is not None and known.up


def _stable(health: Mapping[str, Health], ip: str, now: datetime, hold: timedelta) -> bool:
    known = health.get(ip)
    return known is not None and known.up and now - known.since >= hold


def _same_name(record: Record, others: Sequence[Record]) -> list[Record]:
    return [
        o for o in others if o.id != record.id and o.sub_domain == record.sub_domain and o.type == record.type
    ]


def _spare(
    record: Record,
    original: str,
    others: Sequence[Record],
    bak: BakIp,
    health: Mapping[str, Health],
    exclude: set[str],
) -> str | None:
    if bak.mode is Mode.BACKUPS:
        candidates = list(bak.backups)
    else:
        siblings = [o for o in _same_name(record, others) if o.enabled]
        # The same line first, then the default line.
        siblings.sort(key=lambda o: (o.line != record.line, o.line != DEFAULT_LINE, o.id))
        candidates = [o.value for o in siblings]
    for ip in candidates:
        if ip != original and ip not in exclude and _healthy(health, ip):
            return ip
    return None


def decide(
    record: Record,
    original_ip: str,
    others: Sequence[Record],
    bak: BakIp,
    health: Mapping[str, Health],
    state: SwitchState,
    *,
    keep_ttl: bool,
    now: datetime,
    hold_back: timedelta = HOLD_BACK,
    low_ttl: int = LOW_TTL,
) -> Decision:
    original_down = original_ip in health and not health[original_ip].up
    if state.active:
        if _stable(health, original_ip, now, hold_back):
            return _restore(record, original_ip, state)
        stale = _not_allowed(record, others, bak, state)
        if stale is not None:
            # Monitor.Modify changed bak_ip: decide again as if nothing were switched.
            return _redecide(
                record,
                original_ip,
                others,
                bak,
                health,
                state,
                stale,
                keep_ttl=keep_ttl,
                now=now,
                hold_back=hold_back,
                low_ttl=low_ttl,
            )
        if state.switched_to is not None and not _healthy(health, state.switched_to):
            spare = _spare(record, original_ip, others, bak, health, {state.switched_to})
            if spare is None:
                return Decision(log=f"{state.switched_to} is down too; {NO_SPARE}", state=state)
            return Decision(
                (Edit(record.id, value=spare),),
                f"{state.switched_to} is down; switched to {spare}",
                replace(state, switched_to=spare),
            )
        return _ttl_rule(record, state, keep_ttl, low_ttl) or Decision(state=state)
    if not original_down:
        return Decision(state=state)
    if bak.mode is Mode.PASS:
        return Decision(log=f"{original_ip} is down; monitoring only, no switching", state=state)
    lowered = None if keep_ttl or record.ttl <= low_ttl else low_ttl
    saved_ttl = record.ttl if lowered is not None else None
    if bak.mode in (Mode.PAUSE, Mode.PAUSE2):
        live = [o for o in _same_name(record, others) if o.enabled]
        if not live:
            return Decision(
                log=f"{original_ip} is down; it is the last record of its name and stays", state=state
            )
        if bak.mode is Mode.PAUSE and not any(_healthy(health, o.value) for o in live):
            return Decision(
                log=f"{original_ip} is down; no healthy record would be left, not paused", state=state
            )
        return Decision(
            (Edit(record.id, enabled=False),),
            f"{original_ip} is down; record paused",
            SwitchState(paused=True),
        )
    spare = _spare(record, original_ip, others, bak, health, set())
    if spare is None:
        return Decision(log=f"{original_ip} is down; {NO_SPARE}", state=state)
    return Decision(
        (Edit(record.id, value=spare, ttl=lowered),),
        f"{original_ip} is down; switched to {spare}",
        SwitchState(switched_to=spare, original_ttl=saved_ttl),
    )


def _restore(record: Record, original_ip: str, state: SwitchState) -> Decision:
    edit = Edit(
        record.id,
        value=original_ip if state.switched_to is not None else None,
        enabled=True if state.paused else None,
        ttl=state.original_ttl,
    )
    what = "record resumed" if state.paused else f"switched back to {original_ip}"
    return Decision((edit,), f"{original_ip} is up again; {what}", SwitchState())


def _not_allowed(record: Record, others: Sequence[Record], bak: BakIp, state: SwitchState) -> str | None:
    """Why what the switch serves is no longer what the D-Monitor's `bak_ip` allows (the
    owner changed it with Monitor.Modify), or None while it still is."""
    if bak.mode is Mode.PASS:
        return "bak_ip is pass (monitoring only)"
    if state.paused:
        return None if bak.mode in (Mode.PAUSE, Mode.PAUSE2) else f"bak_ip is {bak.mode} now"
    if bak.mode in (Mode.PAUSE, Mode.PAUSE2):
        return f"bak_ip is {bak.mode} now"
    if bak.mode is Mode.BACKUPS and state.switched_to not in bak.backups:
        return f"{state.switched_to} is no longer a backup IP"
    if bak.mode is Mode.AUTO and state.switched_to not in {
        o.value for o in _same_name(record, others) if o.enabled
    }:
        return f"{state.switched_to} is no longer a record of the name"
    return None


def _redecide(
    record: Record,
    original_ip: str,
    others: Sequence[Record],
    bak: BakIp,
    health: Mapping[str, Health],
    state: SwitchState,
    why: str,
    *,
    keep_ttl: bool,
    now: datetime,
    hold_back: timedelta,
    low_ttl: int,
) -> Decision:
    """Undo the switch and decide afresh with the current settings, in one edit: a listed
    healthy spare (or a pause) if the original IP is still down, else the record's own IP."""
    back = _restore(record, original_ip, state)
    what = "record resumed" if state.paused and state.switched_to is None else f"back to {original_ip}"
    if bak.mode is Mode.PASS:
        return Decision(back.edits, f"{why}; {what}", SwitchState())
    (undo,) = back.edits
    own = replace(
        record,
        value=original_ip if state.switched_to is not None else record.value,
        enabled=True if state.paused else record.enabled,
        ttl=state.original_ttl if state.original_ttl is not None else record.ttl,
    )
    fresh = decide(
        own,
        original_ip,
        others,
        bak,
        health,
        SwitchState(),
        keep_ttl=keep_ttl,
        now=now,
        hold_back=hold_back,
        low_ttl=low_ttl,
    )
    if not fresh.changes_dns:
        reason = f"; {fresh.log}" if fresh.log else ""
        return Decision(back.edits, f"{why}{reason}; {what}", SwitchState())
    (edit,) = fresh.edits
    merged = Edit(
        record.id,
        value=edit.value if edit.value is not None else undo.value,
        enabled=edit.enabled if edit.enabled is not None else undo.enabled,
        ttl=edit.ttl if edit.ttl is not None else undo.ttl,
    )
    return Decision((merged,), f"{why}; {fresh.log}", fresh.state)


def _ttl_rule(record: Record, state: SwitchState, keep_ttl: bool, low_ttl: int) -> Decision | None:
    """A record switched to another IP has its TTL lowered exactly when keep_ttl=no; after
    Monitor.Modify changed keep_ttl, the TTL follows (restored, or lowered and saved)."""
    if state.switched_to is None:
        return None
    if keep_ttl and state.original_ttl is not None:
        return Decision(
            (Edit(record.id, ttl=state.original_ttl),),
            f"keep_ttl=yes; TTL {state.original_ttl} restored",
            replace(state, original_ttl=None),
        )
    if not keep_ttl and state.original_ttl is None and record.ttl > low_ttl:
        return Decision(
            (Edit(record.id, ttl=low_ttl),),
            f"keep_ttl=no; TTL lowered to {low_ttl}",
            replace(state, original_ttl=record.ttl),
        )
    return None


def majority_down(verdicts: Sequence[bool | None]) -> bool:
    """One verdict per point (True: down, False: up, None: none yet). Down only when more
    than half of the points say so: a tie, or points without a verdict, are not down."""
    return sum(1 for verdict in verdicts if verdict) * 2 > len(verdicts)


def point_verdicts(
    points: Sequence[str], location_of: Callable[[str], str], by_location: Mapping[str, bool]
) -> list[bool | None]:
    """Each point's verdict: that of the location it maps to (None when that location has
    none). Several points may share a location; each still counts once."""
    return [by_location.get(location_of(point)) for point in points]


def points_agree_down(
    points: Sequence[str], location_of: Callable[[str], str], by_location: Mapping[str, bool]
) -> bool:
    """Down when most of the points say so, or, where some points have no verdict, when
    most of those that have one say so and they come from at least two of the points'
    locations (one, if the points have one location between them).

    A point whose location did not look abstains rather than counting as up: a D-Monitor's
    check runs at one location and is confirmed at one other, so with points at four or
    more locations a majority of all points could never be reached and the IP would never
    be found down. Two locations is the quorum: one location's view alone (a network
    fault near it) is never a down unless it holds most of the points."""
    verdicts = point_verdicts(points, location_of, by_location)
    if majority_down(verdicts):
        return True
    locations = {location_of(point) for point in points}
    looked = locations & by_location.keys()
    heard = [verdict for verdict in verdicts if verdict is not None]
    return len(looked) >= min(2, len(locations)) and majority_down(heard)
