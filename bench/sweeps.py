"""The hourly retention sweep beside N http monitors: how long it holds the engine's
database thread (the one the writer and the scheduler wait on), phase by phase.

N monitors are bulk-inserted as `bench/scale.py` fills its engine scenario; every uptime
check gets one minute of results through the engine's own writer (so each has a minute
rollup and a live hour), then the clock moves three hours on and the sweep runs: the first
sweep folds every check's hour, the second finds nothing to do (what every later hourly
sweep costs on an instance in steady state, beside the work it does).

    lookout bench sweeps --monitors 10000 --monitors 100000

Prints a table and writes bench/results/sweeps.json (rows merged by scenario name).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lookout.app import open_store
from lookout.checks.registry import CHECKS
from lookout.engine.database import Database
from lookout.engine.persist import BatchPersister, Finished
from lookout.engine.queue.base import Job
from lookout.engine.settings_cache import SettingsCache
from lookout.engine.sweeps import RetentionSweep
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.repositories.engine import engine_store_for
from lookout.store.tables import Check
from scale import fill, print_table  # noqa: E402  (a sibling benchmark; bench/ is on sys.path)

RESULTS = Path(__file__).parent / "results" / "sweeps.json"
PHASES = (
    "sweep_runs",
    "sweep_changes",
    "sweep_findings",
    "sweep_minutes",
    "pack_minutes",
    "fold_hours",
    "pack_days",
    "coarsen_days",
)
BATCH = 1000


def record_a_minute(settings: Settings, at: datetime) -> int:
    """One succeeded run for every uptime check, written as the engine writes a batch."""
    store = open_store(settings)
    persister = BatchPersister(engine_store_for("sqlite"), CHECKS, SettingsCache(CHECKS))
    with store.sessions() as session:
        uptime = session.execute(select(Check.id, Check.monitor_id).where(Check.type == "uptime")).all()
    timings = Timings(1.5, 12.0, 25.0, 70.0, 8.0, 116.5)
    for start in range(0, len(uptime), BATCH):
        finished = [
            Finished(
                Job(check_id, monitor_id, "uptime", "http", "http://x/", {}, "local", at, 60.0, 2),
                CheckResult(Outcome.SUCCEEDED, "Up", at, at, timings=timings, details={"status_code": 200}),
            )
            for check_id, monitor_id in uptime[start : start + BATCH]
        ]
        with transaction(store.sessions) as session:
            persister.persist(session, finished, at)
    store.engine.dispose()
    return len(uptime)


def scenario(monitors: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="lookout-sweeps-"))
    try:
        settings = Settings(data_dir=data_dir, run_engine=False)
        began = time.perf_counter()
        fill(settings, monitors, 60, [9])
        at = datetime.now(UTC).replace(second=0, microsecond=0)
        record_a_minute(settings, at)
        print(f"filled {monitors} monitors and a minute of runs in {time.perf_counter() - began:.0f} s")
        store = open_store(settings)
        later = at + timedelta(hours=3)
        rollup_types = [check_type.value for check_type, check in CHECKS.items() if check.records_uptime]
        try:
            from lookout.engine.sweeps import aging_finding_types
        except ImportError:  # a tree from before the findings' retention (a before/after run)
            sweep = RetentionSweep(Database(store.sessions), lambda: later, rollup_types=rollup_types)
        else:
            sweep = RetentionSweep(
                Database(store.sessions),
                lambda: later,
                rollup_types=rollup_types,
                aging_finding_types=aging_finding_types(CHECKS),
            )
        row: dict[str, Any] = {"scenario": f"sweep-n{monitors}", "monitors": monitors}

        async def run() -> None:
            for name in PHASES:
                if not hasattr(sweep, name):  # an older tree's sweep has fewer phases
                    continue
                started = time.perf_counter()
                row[f"{name}_rows"] = await getattr(sweep, name)()
                row[f"{name}_s"] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
            row["second_sweep_rows"] = await sweep.sweep()
            row["second_sweep_s"] = round(time.perf_counter() - started, 2)

        asyncio.run(run())
        row["first_sweep_s"] = round(sum(row.get(f"{name}_s", 0.0) for name in PHASES), 2)
        store.engine.dispose()
        return row
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def write_results(rows: list[dict[str, Any]]) -> Path:
    previous = json.loads(RESULTS.read_text()).get("results", []) if RESULTS.exists() else []
    names = {row["scenario"] for row in rows}
    measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    merged = [row for row in previous if row["scenario"] not in names] + [
        {**row, "measured_at": measured_at} for row in rows
    ]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"results": merged}, indent=2) + "\n")
    return RESULTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The retention sweep beside N monitors on SQLite.")
    parser.add_argument("--monitors", type=int, action="append", help="default 10000 and 100000")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rows = [scenario(monitors) for monitors in args.monitors or [10_000, 100_000]]
    print_table(rows)
    if not args.no_write:
        print(f"wrote {write_results(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
