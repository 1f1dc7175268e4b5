"""The failover policy as a table: every bak_ip mode, all IPs down, backups down, the last
record of a name, recovery with hysteresis, and a flapping target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lookout.failover.policy import NO_SPARE, BakIp, Decision, Edit, Health, Record, SwitchState, decide

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WWW = Record(1, "www", "A", "默认", "192.0.2.1", True, 600)
SIB = Record(2, "www", "A", "默认", "192.0.2.2", True, 600)
OTHER_NAME = Record(3, "api", "A", "默认", "192.0.2.3", True, 600)


def h(**ips: bool) -> dict[str, Health]:
    names = {"a": "192.0.2.1", "b": "192.0.2.2", "c": "192.0.2.3", "x": "198.51.100.1", "y": "198.51.100.2"}
    return {names[k]: Health(up, T0 - timedelta(hours=1)) for k, up in ips.items()}


def run(
    bak: str,
    health: dict[str, Health],
    others: tuple[Record, ...] = (SIB,),
    keep_ttl: bool = True,
    state: SwitchState = SwitchState(),
) -> Decision:
    return decide(
        WWW, "192.0.2.1", (WWW, *others), BakIp.parse(bak), health, state, keep_ttl=keep_ttl, now=T0
    )


CASES = [
    # name, bak_ip, health, others, expected edits, expected state, log contains
    ("up: nothing", "auto", h(a=True, b=True), (SIB,), (), SwitchState(), ""),
    ("pass watches only", "pass", h(a=False, b=True), (SIB,), (), SwitchState(), "monitoring only"),
    (
        "pause with a healthy sibling",
        "pause",
        h(a=False, b=True),
        (SIB,),
        (Edit(1, enabled=False),),
        SwitchState(paused=True),
        "paused",
    ),
    ("pause: sibling down too", "pause", h(a=False, b=False), (SIB,), (), SwitchState(), "no healthy record"),
    ("pause: last record", "pause", h(a=False), (OTHER_NAME,), (), SwitchState(), "last record"),
    (
        "pause2 pauses even if the sibling is down",
        "pause2",
        h(a=False, b=False),
        (SIB,),
        (Edit(1, enabled=False),),
        SwitchState(paused=True),
        "paused",
    ),
    ("pause2: last record never paused", "pause2", h(a=False), (), (), SwitchState(), "last record"),
    (
        "pause2: a disabled sibling does not count",
        "pause2",
        h(a=False, b=True),
        (Record(2, "www", "A", "默认", "192.0.2.2", False, 600),),
        (),
        SwitchState(),
        "last record",
    ),
    (
        "auto takes a healthy sibling",
        "auto",
        h(a=False, b=True),
        (SIB,),
        (Edit(1, value="192.0.2.2"),),
        SwitchState(switched_to="192.0.2.2"),
        "switched to 192.0.2.2",
    ),
    ("auto ignores other names", "auto", h(a=False, c=True), (OTHER_NAME,), (), SwitchState(), NO_SPARE),
    ("auto: all IPs down", "auto", h(a=False, b=False), (SIB,), (), SwitchState(), NO_SPARE),
    (
        "backups: first healthy",
        "198.51.100.1,198.51.100.2",
        h(a=False, x=False, y=True),
        (),
        (Edit(1, value="198.51.100.2"),),
        SwitchState(switched_to="198.51.100.2"),
        "198.51.100.2",
    ),
    (
        "backups: all down",
        "198.51.100.1,198.51.100.2",
        h(a=False, x=False, y=False),
        (),
        (),
        SwitchState(),
        NO_SPARE,
    ),
    ("backups: unknown health is not healthy", "198.51.100.1", h(a=False), (), (), SwitchState(), NO_SPARE),
]


@pytest.mark.parametrize(
    ("name", "bak", "health", "others", "edits", "state", "log"), CASES, ids=[c[0] for c in CASES]
)
def test_modes(
    name: str,
    bak: str,
    health: dict[str, Health],
    others: tuple[Record, ...],
    edits: tuple[Edit, ...],
    state: SwitchState,
    log: str,
) -> None:
    decision = run(bak, health, others)
    assert decision.edits == edits
    assert decision.state == state
    assert log in decision.log


def test_keep_ttl_no_lowers_the_ttl_and_recovery_restores_it() -> None:
    away = run("198.51.100.1", h(a=False, x=True), (), keep_ttl=False)
    assert away.edits == (Edit(1, value="198.51.100.1", ttl=60),)
    assert away.state == SwitchState(switched_to="198.51.100.1", original_ttl=600)
    back = run("198.51.100.1", h(a=True, x=True), (), keep_ttl=False, state=away.state)
    assert back.edits == (Edit(1, value="192.0.2.1", ttl=600),) and back.state == SwitchState()


def test_a_paused_record_resumes_on_recovery() -> None:
    back = run("pause2", h(a=True, b=True), state=SwitchState(paused=True))
    assert back.edits == (Edit(1, enabled=True),) and "resumed" in back.log


def test_a_backup_that_dies_is_replaced_or_kept() -> None:
    state = SwitchState(switched_to="198.51.100.1")
    moved = run("198.51.100.1,198.51.100.2", h(a=False, x=False, y=True), (), state=state)
    assert moved.edits == (Edit(1, value="198.51.100.2"),) and moved.state.switched_to == "198.51.100.2"
    kept = run("198.51.100.1,198.51.100.2", h(a=False, x=False, y=False), (), state=state)
    assert kept.edits == () and kept.state == state and NO_SPARE in kept.log


def test_flapping_target_switches_away_once_and_back_once() -> None:
    """Up and down every other minute for 30 minutes, then up for good: one switch each way."""
    bak = BakIp.parse("198.51.100.1")
    state, switches = SwitchState(), []
    since = T0
    for minute in range(45):
        now = T0 + timedelta(minutes=minute)
        up = minute >= 30 or minute % 2 == 1
        if minute == 0 or up != (minute - 1 >= 30 or (minute - 1) % 2 == 1):
            since = now
        health = {"192.0.2.1": Health(up, since), "198.51.100.1": Health(True, T0 - timedelta(hours=1))}
        decision = decide(WWW, "192.0.2.1", (WWW,), bak, health, state, keep_ttl=True, now=now)
        if decision.edits:
            switches.append((minute, decision.edits[0].value))
        state = decision.state
    # Up for good from minute 29 (an odd minute): back after the five-minute hold.
    assert switches == [(0, "198.51.100.1"), (34, "192.0.2.1")]


def test_recovery_waits_for_the_hold() -> None:
    state = SwitchState(switched_to="192.0.2.2")
    just_up = {"192.0.2.1": Health(True, T0 - timedelta(minutes=1)), "192.0.2.2": Health(True, T0)}
    assert run("auto", just_up, state=state).edits == ()
    assert BakIp.parse("1.2.3.4, 5.6.7.8").backups == ("1.2.3.4", "5.6.7.8")
