"""The retention sweep's walk over the checks costs the same per check whatever their
number: ten times the monitors, about ten times the SQLite work (a walk that looked up
each next chunk of checks from scratch was quadratic: at 100,000 monitors it held the
engine's database thread for seconds every hour).

Counted in SQLite's virtual machine steps over every connection the sweep takes, so the
test does not depend on the machine's speed (as test_cost_per_check.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from lookout.app import open_store
from lookout.engine.database import Database
from lookout.engine.sweeps import RetentionSweep
from lookout.settings import Settings
from tests.engine.seed import add_http_monitors
from tests.sqlite_steps import steps_on


def sweep_steps(tmp_path: Path, monitors: int) -> int:
    """SQLite steps (in hundreds) of a first hourly sweep beside `monitors` http monitors."""
    store = open_store(Settings(database_url=f"sqlite:///{tmp_path / f'{monitors}.db'}"))
    add_http_monitors(store, monitors)
    now = datetime.now(UTC)
    sweep = RetentionSweep(Database(store.sessions), lambda: now, rollup_types=["uptime"])
    try:
        with steps_on(store.engine) as steps:
            asyncio.run(sweep.sweep())
    finally:
        store.engine.dispose()
    return steps.hundreds


def test_a_sweep_over_ten_times_the_monitors_costs_ten_times_as_much(tmp_path: Path) -> None:
    few = sweep_steps(tmp_path, 100)
    many = sweep_steps(tmp_path, 1000)
    assert few > 0
    assert many < 12 * few, (few, many)
