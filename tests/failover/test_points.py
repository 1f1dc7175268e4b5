"""Points: down only when a majority of a D-Monitor's points agree (of all of them, or of
those whose locations looked, when at least two did). The pure rule, then the consumer
using it over the verdicts per location the store holds (this location's confirmed check
state, another location's latest run). Every point maps to the local location by default,
where the rule is that location's verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select

from lookout.failover.callbacks import CallbackSender, CallbackTuning
from lookout.failover.consumer import ConsumerTuning, FailoverConsumer
from lookout.failover.policy import majority_down, point_verdicts, points_agree_down
from lookout.failover.providers.memory import MemoryProvider
from lookout.model.dmonitor_points import PointMap
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.store.db import transaction
from lookout.store.migrate import alembic_config, upgrade_to_head
from lookout.store.tables.dns import DMonitor, DMonitorDown
from lookout.store.tables.monitor import Check
from lookout.store.tables.runs import CheckRun
from tests.failover.conftest import BACKUP, ORIGINAL, World
from tests.failover.test_consumer import callbacks, change, set_callback


@pytest.mark.parametrize(
    ("verdicts", "down"),
    [
        ([True, True, False], True),  # 2 of 3
        ([True, True, True], True),
        ([True, False, False], False),  # 1 of 3
        ([True, False], False),  # a tie is not down
        ([True, True, False, False], False),
        ([True, True, None], True),
        ([True, None, None], False),  # points without a verdict are not down
        ([True], True),  # one point: its verdict
        ([False], False),
        ([], False),
    ],
)
def test_majority_down(verdicts: list[bool | None], down: bool) -> None:
    assert majority_down(verdicts) is down


def test_points_take_the_verdict_of_their_location() -> None:
    where = PointMap("local", {"cuc": "paris", "cmc": "tokyo", "hk-1": "tokyo"})
    by_location = {"local": True, "tokyo": True}
    verdicts = point_verdicts(["ctc", "cuc", "cmc"], where.location_of, by_location)
    assert verdicts == [True, None, True]
    assert majority_down(verdicts)
    assert majority_down(point_verdicts(["ctc", "cuc"], where.location_of, by_location)) is False
    assert points_agree_down(["ctc", "cuc"], where.location_of, by_location) is False  # paris abstains
    # The embedded default: every point is the local location.
    assert PointMap("local").only_own(["ctc", "cuc", "cmc"])
    assert PointMap("local").points("") == ["local"]


# Points a..e at the locations of the same name; "x1" and "x2" share location x.
@pytest.mark.parametrize(
    ("points", "by_location", "down"),
    [
        # Four or more locations: the run's and the confirmation's agree, the rest abstain.
        ("a,b,c,d", {"a": True, "b": True}, True),
        ("a,b,c,d,e", {"a": True, "b": True}, True),
        ("a,b,c,d", {"a": True, "b": False}, False),  # a tie among those that looked
        ("a,b,c,d,e", {"a": True, "b": True, "c": False}, True),  # 2 of the 3 that looked
        ("a,b,c,d,e", {"a": True, "b": False, "c": False}, False),
        # One location's view alone is not a down, unless it holds most of the points.
        ("a,b,c,d", {"a": True}, False),
        ("a,b,c", {"a": True}, False),
        ("a,b", {"a": True}, False),
        ("x1,x2,b", {"x": True}, True),  # x holds 2 of the 3 points
        ("x1,x2,b,c", {"x": True}, False),  # half is not most; x is one location
        ("x1,x2,b,c", {"x": True, "b": True}, True),
        # Points at one location between them: its verdict.
        ("x1,x2", {"x": True}, True),
        ("x1,x2", {"x": False}, False),
        ("x1,x2", {}, False),
        # A location no point maps to says nothing.
        ("a,b,c,d", {"a": True, "z": True}, False),
        ("", {"a": True}, False),
    ],
)
def test_points_agree_down(points: str, by_location: dict[str, bool], down: bool) -> None:
    named = [point for point in points.split(",") if point]
    assert points_agree_down(named, lambda point: point.rstrip("12"), by_location) is down


def consumer(world: World, where: PointMap) -> FailoverConsumer:
    guard = TargetGuard(Resolver.from_setting("127.0.0.1:1"), allow_private=True)
    now = lambda: datetime.now(UTC)  # noqa: E731
    callbacks = CallbackSender(world.store.sessions, lambda: HttpClient(guard), now, CallbackTuning())
    return FailoverConsumer(
        world.store.sessions,
        world.executor(MemoryProvider(), points=where),
        callbacks,
        ConsumerTuning(poll_s=0.01, reconcile_every_s=3600),
        now,
        "points",
    )


def run_at(world: World, location: str, failed: bool) -> None:
    """A run of the D-Monitor's check stored by a checking process at `location`."""
    at = datetime.now(UTC) - timedelta(seconds=5)
    with transaction(world.store.sessions) as session:
        row = session.get(DMonitor, world.d_monitor_id)
        assert row is not None and row.monitor_id is not None
        check_id = session.scalars(
            select(Check.id).where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
        ).one()
        session.add(
            CheckRun(
                check_id=check_id,
                monitor_id=row.monitor_id,
                result="failed" if failed else "succeeded",
                summary="Down: connection refused" if failed else "Up",
                started_at=at,
                ended_at=at,
                location=location,
                details={},
            )
        )


def downs(world: World) -> list[DMonitorDown]:
    with world.store.sessions() as session:
        return list(
            session.scalars(select(DMonitorDown).where(DMonitorDown.d_monitor_id == world.d_monitor_id))
        )


def set_points(world: World, points: str) -> None:
    with transaction(world.store.sessions) as session:
        row = session.get(DMonitor, world.d_monitor_id)
        assert row is not None
        row.points = points


THREE = PointMap("local", {"cuc": "paris", "cmc": "tokyo"})


async def test_a_failure_seen_here_alone_is_not_a_down(fresh_world: World) -> None:
    world = fresh_world  # the consumer takes every state change in its database
    set_points(world, "ctc,cuc,cmc")
    set_callback(world, "http://127.0.0.1:1/callback", "key")
    run_at(world, "paris", failed=False)
    run_at(world, "tokyo", failed=False)
    change(world, "failed", "down")
    taker = consumer(world, THREE)
    assert await taker.run_once() == 1
    assert downs(world) == []
    assert world.d_monitor().status != "Down"
    # Nor does the executor switch on this location's verdict alone.
    await taker.executor.reconcile(world.d_monitor_id)
    assert world.switches() == [] and world.record().value == ORIGINAL
    assert taker.late_downs() == []  # the other points still find it up
    # Its recovery is no news either: the owner was never told of a Down.
    change(world, "recovered", "up")
    assert await taker.run_once() == 1
    assert callbacks(world) == [] and world.d_monitor().status == "Ok"


async def test_two_of_three_points_down_is_a_down(fresh_world: World) -> None:
    world = fresh_world  # the consumer takes every state change in its database
    set_points(world, "ctc,cuc,cmc")
    run_at(world, "paris", failed=False)
    run_at(world, "tokyo", failed=True)
    change(world, "failed", "down")
    taker = consumer(world, THREE)
    assert await taker.run_once() == 1
    (down,) = downs(world)
    assert down.ip == ORIGINAL and world.d_monitor().status == "Down"
    assert world.record().value == BACKUP


async def test_a_late_majority_read_before_its_change_is_told_once(fresh_world: World) -> None:
    """A round may find the points agreeing before it reads the `failed` change that made
    the check down (committed after its read): one outage and one Down callback."""
    world = fresh_world  # the consumer takes every state change in its database
    set_points(world, "ctc,cuc,cmc")
    set_callback(world, "http://127.0.0.1:1/callback", "key")
    run_at(world, "paris", failed=True)
    taker = consumer(world, THREE)
    change(world, "failed", "down")
    assert taker.late_downs() == [world.d_monitor_id]
    assert await taker.run_once() == 1  # now the change
    assert len(downs(world)) == 1
    assert [c.form["status"] for c in callbacks(world)] == ["Down"]


FIVE = PointMap("local", {"cuc": "paris", "cmc": "tokyo", "edu": "sydney", "hk": "lima"})


async def test_points_at_five_locations_are_down_when_the_two_that_looked_agree(fresh_world: World) -> None:
    """The check runs here and a failure is confirmed at one other point location; the
    other three never run it. They abstain, so the two that looked decide."""
    world = fresh_world  # the consumer takes every state change in its database
    set_points(world, "ctc,cuc,cmc,edu,hk")
    run_at(world, "paris", failed=False)
    change(world, "failed", "down")
    taker = consumer(world, FIVE)
    assert await taker.run_once() == 1
    assert downs(world) == [] and world.record().value == ORIGINAL  # here down, paris up
    assert taker.late_downs() == []  # asked again: still here down, paris up
    # paris's next run finds it down too. The check stays down, so no change comes: the
    # round asks the points again and opens the outage now that the two that looked agree.
    run_at(world, "paris", failed=True)
    assert taker.late_downs() == [world.d_monitor_id]
    await taker.executor.reconcile(world.d_monitor_id)
    (down,) = downs(world)
    assert down.ip == ORIGINAL and world.d_monitor().status == "Down"
    assert down.warn_reason == "Down: connection refused"
    assert world.record().value == BACKUP
    assert taker.late_downs() == []  # once


async def test_every_point_local_is_the_local_verdict(fresh_world: World) -> None:
    world = fresh_world  # the consumer takes every state change in its database
    # The embedded default: ctc, cuc and cmc are all this location; no run is read.
    set_points(world, "ctc,cuc,cmc")
    run_at(world, "paris", failed=False)  # not a location any point maps to
    change(world, "failed", "down")
    taker = consumer(world, PointMap("local"))
    assert await taker.run_once() == 1
    assert len(downs(world)) == 1 and world.record().value == BACKUP


def test_the_points_setting_maps_dnspod_codes_to_locations() -> None:
    from lookout.model.dmonitor_points import PointMap

    mapped = PointMap.from_setting("local", "ctc=beijing, cuc = shanghai,broken,=x,y=")
    assert mapped.locations == {"ctc": "beijing", "cuc": "shanghai"}
    assert [mapped.location_of(p) for p in ("ctc", "cuc", "cmc")] == ["beijing", "shanghai", "local"]
    assert not mapped.only_own(["ctc", "cmc"]) and PointMap.from_setting("local", None).only_own(["ctc"])


def _uptime_settings(world: World) -> dict[str, object]:
    with world.store.sessions() as session:
        row = session.get(DMonitor, world.d_monitor_id)
        assert row is not None and row.monitor_id is not None
        return dict(
            session.scalars(
                select(Check.settings).where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
            ).one()
        )


async def test_d_monitors_made_before_0025_get_their_points_in_their_settings(fresh_world: World) -> None:
    """The scheduler reads a D-Monitor's points from its uptime check's settings (where to
    confirm a failure); migration 0025 writes them for D-Monitors made before it."""
    assert _uptime_settings(fresh_world)["dmonitor_points"] == "ctc"
    config = alembic_config(fresh_world.store.engine)
    command.downgrade(config, "0024")
    assert "dmonitor_points" not in _uptime_settings(fresh_world)
    set_points(fresh_world, "ctc,cmc")
    upgrade_to_head(fresh_world.store.engine)
    settings = _uptime_settings(fresh_world)
    assert settings["dmonitor_points"] == "ctc,cmc" and settings["connect_ip"] == ORIGINAL
