"""The consumer: state changes of D-Monitors taken once (its own claims, never the
outbox's processed_at), the outage and the D-Monitor's status recorded, and the B6
callback delivered with a valid checksum, retried on failure, at most one an hour with
less_notice=yes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lookout.failover.callbacks import CallbackSender, CallbackTuning, checksum
from lookout.failover.consumer import ConsumerTuning, FailoverConsumer
from lookout.failover.providers.memory import MemoryProvider
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.store.db import transaction
from lookout.store.tables.dns import DMonitor, DMonitorDown
from lookout.store.tables.failover import FailoverCallback, FailoverCallbackAttempt, FailoverClaim
from lookout.store.tables.monitor import Check
from lookout.store.tables.runs import CheckState, StateChange
from tests.failover.conftest import BACKUP, ORIGINAL, World
from tests.failover.sites import CallbackReceiver


def test_checksum_matches_the_documented_example() -> None:
    # apis.md D4: md5 of monitor_id + domain_id + record_id + callback_key + created_at.
    assert (
        checksum(
            "6aac176e-363a-11e2-bab7-0819a6248970", "2317346", "16909160", "s3cr3t", "2012-11-24 22:30:06"
        )
        == "cadc6888dfbac9ef18f1c030c82632a7"
    )


def consumer(world: World, worker: str) -> FailoverConsumer:
    guard = TargetGuard(Resolver.from_setting("127.0.0.1:1"), allow_private=True)
    now = lambda: datetime.now(UTC)  # noqa: E731
    callbacks = CallbackSender(
        world.store.sessions, lambda: HttpClient(guard), now, CallbackTuning(backoff_s=(0.0,), timeout_s=10)
    )
    return FailoverConsumer(
        world.store.sessions,
        world.executor(MemoryProvider()),
        callbacks,
        ConsumerTuning(poll_s=0.01, reconcile_every_s=0),
        now,
        worker,
    )


def change(world: World, kind: str, status: str) -> int:
    """What the engine's writer stores when the D-Monitor's check crosses."""
    at = datetime.now(UTC).replace(microsecond=0)
    with transaction(world.store.sessions) as session:
        row = session.get(DMonitor, world.d_monitor_id)
        assert row is not None and row.monitor_id is not None
        check_id = session.scalars(
            select(Check.id).where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
        ).one()
        state = session.get(CheckState, check_id) or CheckState(
            check_id=check_id, failures_in_a_row=0, successes_in_a_row=0, success_count=0
        )
        state.status, state.changed_at = status, at - timedelta(hours=1)
        session.add(state)
        sc = StateChange(
            check_id=check_id,
            monitor_id=row.monitor_id,
            kind=kind,
            from_status="up" if kind == "failed" else "down",
            to_status=status,
            result="failed" if kind == "failed" else "succeeded",
            reason="Connection refused" if kind == "failed" else "Up",
            created_at=at,
        )
        session.add(sc)
        session.flush()
        return sc.id


def set_callback(world: World, url: str, key: str, less_notice: bool = False) -> None:
    with transaction(world.store.sessions) as session:
        row = session.get(DMonitor, world.d_monitor_id)
        assert row is not None
        row.callback_url, row.callback_key, row.less_notice = url, key, less_notice


def callbacks(world: World) -> list[FailoverCallback]:
    with world.store.sessions() as session:
        return list(
            session.scalars(
                select(FailoverCallback)
                .where(FailoverCallback.d_monitor_id == world.d_monitor_id)
                .order_by(FailoverCallback.id)
            )
        )


async def test_a_change_is_taken_once_recorded_switched_and_called_back(world: World) -> None:
    receiver = CallbackReceiver("k3y", fail_first=1)
    try:
        set_callback(world, receiver.url, "k3y")
        change_id = change(world, "failed", "down")
        first, second = consumer(world, "one"), consumer(world, "two")
        assert await first.run_once() == 1
        assert await second.run_once() == 0  # already taken (and done)
        with world.store.sessions() as session:
            claim = session.get(FailoverClaim, change_id)
            assert claim is not None and claim.claimed_by == "one" and claim.done_at is not None
            assert session.get(StateChange, change_id).processed_at is None  # type: ignore[union-attr]
            down = session.scalars(
                select(DMonitorDown).where(DMonitorDown.d_monitor_id == world.d_monitor_id)
            ).one()
        assert (down.ip, down.warn_reason, down.recovered_at) == (ORIGINAL, "Connection refused", None)
        assert down.switch_log[-1].endswith(f"switched to {BACKUP}")
        assert world.d_monitor().status == "Down" and world.d_monitor().now_ip == BACKUP
        # The receiver refused the first try; the retry (backoff 0 here, made in the second
        # consumer's round: callbacks are claimed too) got through.
        assert receiver.refused == 1
        assert receiver.statuses() == ["Down"] and receiver.bad == []
        form = receiver.received[0]
        assert (form["monitor_id"], form["record_id"], form["ip"]) == (
            str(world.d_monitor_id),
            str(world.record_id),
            ORIGINAL,
        )
        (owed,) = callbacks(world)
        assert (owed.status, owed.attempts) == ("sent", 2)
        with world.store.sessions() as session:
            tries = session.scalars(
                select(FailoverCallbackAttempt.status, FailoverCallbackAttempt.http_status)
                .where(FailoverCallbackAttempt.callback_id == owed.id)
                .order_by(FailoverCallbackAttempt.attempt)
            ).all()
        assert list(tries) == ["failed", "sent"]
    finally:
        receiver.close()


async def test_less_notice_sends_at_most_one_notice_an_hour(world: World) -> None:
    receiver = CallbackReceiver("k3y")
    try:
        set_callback(world, receiver.url, "k3y", less_notice=True)
        taker = consumer(world, "one")
        change(world, "failed", "down")
        await taker.run_once()
        change(world, "recovered", "up")
        await taker.run_once()
        assert receiver.statuses() == ["Down"]
        assert [c.status for c in callbacks(world)] == ["sent", "suppressed"]
        assert world.d_monitor().status == "Ok"
    finally:
        receiver.close()
