"""The policy when Monitor.Modify changed `bak_ip` or `keep_ttl` while the record is
switched: what the switch serves must still be what the settings allow, else it decides
again (in one edit: undo and the new choice); the TTL follows keep_ttl."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lookout.failover.policy import BakIp, Decision, Edit, Health, Record, SwitchState, decide

T0 = datetime(2026, 1, 1, tzinfo=UTC)
A, B, X, Y = "192.0.2.1", "192.0.2.2", "198.51.100.1", "198.51.100.2"
WWW = Record(1, "www", "A", "默认", A, True, 600)
SIB = Record(2, "www", "A", "默认", B, True, 600)


def health(up_since: timedelta = timedelta(hours=1), **ips: bool) -> dict[str, Health]:
    names = {"a": A, "b": B, "x": X, "y": Y}
    return {names[k]: Health(up, T0 - up_since) for k, up in ips.items()}


def run(
    record: Record,
    bak: str,
    state: SwitchState,
    found: dict[str, Health],
    others: tuple[Record, ...] = (SIB,),
    keep_ttl: bool = False,
) -> Decision:
    return decide(record, A, (record, *others), BakIp.parse(bak), found, state, keep_ttl=keep_ttl, now=T0)


ON_X = replace(WWW, value=X, ttl=60)
ON_X_STATE = SwitchState(switched_to=X, original_ttl=600)
ON_B = replace(WWW, value=B)
PAUSED = replace(WWW, enabled=False)

CASES = [
    # name, record as switched, bak_ip now, state, health, others, keep_ttl, edits, state after, log has
    (
        "backup unlisted: a listed healthy one",
        ON_X,
        Y,
        ON_X_STATE,
        health(a=False, x=True, y=True),
        (SIB,),
        False,
        (Edit(1, value=Y, ttl=60),),
        SwitchState(switched_to=Y, original_ttl=600),
        f"{X} is no longer a backup IP; {A} is down; switched to {Y}",
    ),
    (
        "backup unlisted, none listed healthy: back to the own IP and TTL",
        ON_X,
        Y,
        ON_X_STATE,
        health(a=False, x=True, y=False),
        (SIB,),
        False,
        (Edit(1, value=A, ttl=600),),
        SwitchState(),
        f"No available spare server to switch to; back to {A}",
    ),
    (
        "pass: back to the own IP at once",
        ON_X,
        "pass",
        ON_X_STATE,
        health(a=False, x=True),
        (SIB,),
        False,
        (Edit(1, value=A, ttl=600),),
        SwitchState(),
        f"bak_ip is pass (monitoring only); back to {A}",
    ),
    (
        "pass: a paused record is resumed",
        PAUSED,
        "pass",
        SwitchState(paused=True),
        health(a=False, b=True),
        (SIB,),
        True,
        (Edit(1, enabled=True),),
        SwitchState(),
        "record resumed",
    ),
    (
        "paused, now auto: the sibling's IP, record enabled again",
        PAUSED,
        "auto",
        SwitchState(paused=True),
        health(a=False, b=True),
        (SIB,),
        True,
        (Edit(1, value=B, enabled=True),),
        SwitchState(switched_to=B),
        f"bak_ip is auto now; {A} is down; switched to {B}",
    ),
    (
        "switched by auto, now pause2: own IP back and paused",
        ON_B,
        "pause2",
        SwitchState(switched_to=B),
        health(a=False, b=True),
        (SIB,),
        True,
        (Edit(1, value=A, enabled=False),),
        SwitchState(paused=True),
        f"bak_ip is pause2 now; {A} is down; record paused",
    ),
    (
        "auto: the sibling served was removed and no other is left",
        ON_B,
        "auto",
        SwitchState(switched_to=B),
        health(a=False, b=True),
        (),
        True,
        (Edit(1, value=A),),
        SwitchState(),
        f"{B} is no longer a record of the name",
    ),
    (
        "unlisted, and the original is up (not yet stable): simply back",
        ON_X,
        Y,
        ON_X_STATE,
        health(up_since=timedelta(0), a=True, x=True, y=True),
        (SIB,),
        False,
        (Edit(1, value=A, ttl=600),),
        SwitchState(),
        f"back to {A}",
    ),
    (
        "keep_ttl now yes: the TTL is restored, the switch stays",
        ON_X,
        X,
        ON_X_STATE,
        health(a=False, x=True),
        (SIB,),
        True,
        (Edit(1, ttl=600),),
        SwitchState(switched_to=X),
        "keep_ttl=yes; TTL 600 restored",
    ),
    (
        "keep_ttl now no: the TTL is lowered and saved",
        replace(ON_X, ttl=600),
        X,
        SwitchState(switched_to=X),
        health(a=False, x=True),
        (SIB,),
        False,
        (Edit(1, ttl=60),),
        ON_X_STATE,
        "keep_ttl=no; TTL lowered to 60",
    ),
    (
        "settled: nothing to do",
        ON_X,
        X,
        ON_X_STATE,
        health(a=False, x=True),
        (SIB,),
        False,
        (),
        ON_X_STATE,
        "",
    ),
    (
        "pause2 to pause keeps a pause",
        PAUSED,
        "pause",
        SwitchState(paused=True),
        health(a=False, b=True),
        (SIB,),
        False,
        (),
        SwitchState(paused=True),
        "",
    ),
]


@pytest.mark.parametrize(
    ("record", "bak", "state", "found", "others", "keep_ttl", "edits", "after", "log"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_switch_after_the_settings_changed(
    record: Record,
    bak: str,
    state: SwitchState,
    found: dict[str, Health],
    others: tuple[Record, ...],
    keep_ttl: bool,
    edits: tuple[Edit, ...],
    after: SwitchState,
    log: str,
) -> None:
    decision = run(record, bak, state, found, others, keep_ttl)
    assert decision.edits == edits
    assert decision.state == after
    assert log in decision.log
