"""The recipe of docs/ARCHITECTURE.md, proven: a check type added as one module and one
registry line is scheduled, run, stored, its findings diffed and its warning turned into a
state change — with nothing else in the engine told about it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.registry import CHECKS
from lookout.model.check_type import CheckType
from lookout.store.db import epoch_millis
from lookout.store.tables import Check, CheckRun, Finding, Monitor, StateChange
from tests.engine.seed import add_monitor
from tests.engine.test_engine import FastClock, engine, factory, until  # noqa: F401  (fixture)
from tests.engine.toy_check import InventoryCheck

# What the inventory server answers on its 1st, 2nd, 3rd... connection (the last repeats).
ANSWERS = [
    "a 1\nb 1\n",  # baseline: two items, no news
    "a 1\nb 2\nc 1\n",  # b changed, c new: a `changed` event
    "a 1\nc stale\n",  # b gone (fixed), c changed and stale: a `warning`
    "a 1\nc stale\n",  # the same again: nothing new
]


class Inventory:
    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self.server: asyncio.Server | None = None

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = ANSWERS[min(self.connections, len(ANSWERS) - 1)]
        self.connections += 1
        writer.write(body.encode())
        await writer.drain()
        writer.close()


@pytest.fixture
async def inventory() -> AsyncIterator[Inventory]:
    served = Inventory()
    served.server = await asyncio.start_server(served.answer, "127.0.0.1", 0)
    served.port = served.server.sockets[0].getsockname()[1]
    yield served
    served.server.close()


async def test_a_new_check_type_is_one_module_and_one_registry_line(
    factory: sessionmaker[Session],  # noqa: F811
    inventory: Inventory,
) -> None:
    checks = {**CHECKS, CheckType.PORTS: InventoryCheck()}  # the registry line
    ids = add_monitor(
        factory, f"127.0.0.1:{inventory.port}", checks={"ports": {"check_interval_in_seconds": 10}}
    )
    toy = ids["ports"]
    eng = engine(factory, FastClock(), checks=checks)
    await eng.start()
    try:
        await until(factory, lambda s: len(_runs(s, toy)) >= len(ANSWERS), seconds=20)
    finally:
        await eng.stop()
    with factory() as session:
        runs = _runs(session, toy)
        assert [r.result for r in runs[:4]] == ["succeeded", "succeeded", "warning", "warning"]
        assert runs[0].details == {"items": 2}
        findings = {f.key: f for f in session.scalars(select(Finding).where(Finding.check_id == toy))}
        assert set(findings) == {"a", "b", "c"}
        # A finding keeps its run's start to the microsecond, the run to the millisecond.
        ms = epoch_millis
        assert findings["a"].resolved_at is None and ms(findings["a"].first_seen_at) == ms(runs[0].started_at)
        assert findings["a"].last_seen_at >= runs[3].started_at
        resolved = findings["b"].resolved_at
        assert resolved is not None and ms(resolved) == ms(runs[2].started_at)
        assert findings["c"].payload == {"value": "stale"}
        assert ms(findings["c"].first_seen_at) == ms(runs[1].started_at)
        changes = session.execute(
            select(
                StateChange.kind,
                StateChange.from_status,
                StateChange.to_status,
                StateChange.reason,
                StateChange.details,
            )
            .where(StateChange.check_id == toy)
            .order_by(StateChange.id)
        ).all()
        assert [tuple(c[:4]) for c in changes] == [
            ("changed", "up", "up", "1 new item, 1 item changed"),
            ("warning", "up", "warning", "Stale: c"),
        ]
        assert changes[1].details["counts"] == {"new": 0, "changed": 1, "resolved": 1}
        check = session.get(Check, toy)
        monitor = session.get(Monitor, ids["monitor"])
        assert check is not None and check.latest_run_result == "warning" and check.summary == "Stale: c"
        assert monitor is not None and monitor.summarized_check_result == "warning"


def _runs(session: Session, check_id: int) -> list[CheckRun]:
    query = select(CheckRun).where(CheckRun.check_id == check_id).order_by(CheckRun.started_at)
    return list(session.scalars(query))
