"""The executor: the intent is stored before it is applied, a crash between the two is
healed by the next round, a provider failure or a wrong read-back leaves the intent
pending, a backup that does not answer is never served, and the way back is confirmed
by probes (a flapping server keeps the backup). Real loopback web servers are probed; the
DNS side is the memory provider (BIND is in test_end_to_end.py and the contract tests)."""

from __future__ import annotations

import asyncio

from lookout.failover.base import RecordSet
from lookout.failover.executor import APPLIED, PENDING
from lookout.failover.policy import NO_SPARE
from lookout.failover.providers.memory import MemoryProvider
from tests.failover.conftest import BACKUP, ORIGINAL, FailingProvider, ForgetfulProvider, World


async def test_intent_is_stored_then_applied_then_read_back(world: World) -> None:
    provider = MemoryProvider()
    executor = world.executor(provider)
    world.set_check("down")
    snap = await asyncio.to_thread(executor.snapshot, world.d_monitor_id)
    assert snap is not None
    decision = await executor.decide(snap)
    switch_id = await asyncio.to_thread(executor.store_intent, snap, decision)
    assert switch_id is not None
    # Stored, nothing applied yet: the record and the DNS are as they were.
    (switch,) = world.switches()
    assert (switch.status, switch.edits) == (
        PENDING,
        [{"record_id": world.record_id, "value": BACKUP, "enabled": None, "ttl": 60}],
    )
    assert world.record().value == ORIGINAL and provider.applied == []
    assert world.d_monitor().switch_state == {}
    assert await executor.apply(switch_id)
    assert provider.sets[(f"www.{world.zone}", "A")] == RecordSet.of(f"www.{world.zone}", "A", 60, [BACKUP])
    (switch,) = world.switches()
    assert switch.status == APPLIED and switch.applied_at is not None
    assert (world.record().value, world.record().ttl) == (BACKUP, 60)
    assert world.d_monitor().now_ip == BACKUP
    assert world.d_monitor().switch_state == {"switched_to": BACKUP, "paused": False, "original_ttl": 600}
    assert world.switch_log()[-1].endswith(f"{ORIGINAL} is down; switched to {BACKUP}")


async def test_a_crash_between_intent_and_apply_is_healed_after_a_restart(world: World) -> None:
    world.set_check("down")
    crashed = world.executor(MemoryProvider())
    snap = await asyncio.to_thread(crashed.snapshot, world.d_monitor_id)
    assert snap is not None
    assert await asyncio.to_thread(crashed.store_intent, snap, await crashed.decide(snap)) is not None
    del crashed  # the process died here: intent stored, nothing applied
    assert world.record().value == ORIGINAL
    provider = MemoryProvider()
    await world.executor(provider).reconcile(world.d_monitor_id)
    (switch,) = world.switches()  # the stored intent was applied, not decided again
    assert switch.status == APPLIED
    assert world.record().value == BACKUP
    assert provider.sets[(f"www.{world.zone}", "A")].values == (BACKUP,)


async def test_a_provider_failure_or_wrong_read_back_leaves_the_intent_pending(world: World) -> None:
    world.set_check("down")
    await world.executor(FailingProvider()).reconcile(world.d_monitor_id)
    (switch,) = world.switches()
    assert switch.status == PENDING and "connection refused" in (switch.error or "")
    assert world.d_monitor().switch_state == {} and world.d_monitor().now_ip == ORIGINAL
    await world.executor(ForgetfulProvider()).reconcile(world.d_monitor_id)
    (switch,) = world.switches()
    assert switch.status == PENDING and "read back nothing" in (switch.error or "")
    provider = MemoryProvider()
    await world.executor(provider).reconcile(world.d_monitor_id)
    (switch,) = world.switches()
    assert switch.status == APPLIED and switch.attempts == 3
    assert world.d_monitor().now_ip == BACKUP


async def test_a_backup_that_does_not_answer_is_never_served(world: World) -> None:
    world.backup.stop()  # and 127.0.0.4 never listened
    world.set_check("down")
    executor = world.executor(MemoryProvider())
    await executor.reconcile(world.d_monitor_id)
    await executor.reconcile(world.d_monitor_id)
    assert world.switches() == [] and world.record().value == ORIGINAL
    log = world.switch_log()
    assert len(log) == 1 and log[0].endswith(f"{ORIGINAL} is down; {NO_SPARE}")


async def test_the_way_back_is_confirmed_and_a_flapping_server_keeps_the_backup(world: World) -> None:
    provider = MemoryProvider()
    executor = world.executor(provider)
    world.set_check("down")
    await executor.reconcile(world.d_monitor_id)
    assert world.record().value == BACKUP
    # The engine saw one good run, but the server drops every other connection.
    world.original.flap = True
    world.original.start()
    world.set_check("up")
    for _ in range(3):
        await executor.reconcile(world.d_monitor_id)
    assert world.record().value == BACKUP and len(world.switches()) == 1
    world.original.flap = False
    await executor.reconcile(world.d_monitor_id)
    assert (world.record().value, world.record().ttl) == (ORIGINAL, 600)
    assert provider.sets[(f"www.{world.zone}", "A")] == RecordSet.of(
        f"www.{world.zone}", "A", 600, [ORIGINAL]
    )
    assert world.d_monitor().switch_state == {} and world.d_monitor().now_ip == ORIGINAL
    assert len(world.switches()) == 2
    # Down again soon after a switch back (flapping): away again at once, but the way back
    # now waits for the original to stay up for the flap hold-back.
    world.set_check("down")
    await executor.reconcile(world.d_monitor_id)
    assert world.record().value == BACKUP
    world.set_check("up")
    await executor.reconcile(world.d_monitor_id)
    assert world.record().value == BACKUP
    assert len(world.switches()) == 3
