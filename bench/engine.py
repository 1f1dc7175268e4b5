"""Engine throughput: N http monitors against loopback targets, the whole engine, real store.

Targets run in a child process so the engine's CPU is measured alone. For each scenario
the monitors are created directly in the store (phases spread by the scheduler's own
jitter), the engine runs for a fixed time, and we report stored checks per second,
schedule lag p50/p99 (a scheduled run's start minus its due time, as the engine's lag
watch counts it), CPU ms per stored check (all threads of this process: scheduler,
runner, pycurl, writer, SQLite; the targets' processes are not counted) and peak RSS. The
check context is built as `lookout serve` builds it (one curl driver per loop). Prints a
table and merges the rows, by scenario name, into bench/results/engine.json.

    .venv/bin/python bench/engine.py                      # the standard four scenarios
    .venv/bin/python bench/engine.py --monitors 10000 --interval 5 --seconds 30
    .venv/bin/python bench/engine.py --quick --loop asyncio
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import resource
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from lookout.checks.base import CheckContext
from lookout.engine.facade import Engine, EngineSettings
from lookout.engine.timing import next_slot
from lookout.net.curl import CurlDriver
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.store.db import create_db_engine, make_session_factory, transaction
from lookout.store.migrate import upgrade_to_head
from lookout.store.tables import Check, Monitor, Team
from scale import Targets  # noqa: E402  (a sibling benchmark; bench/ is on sys.path)

HOSTS = 250  # 127.0.0.1-250: distinct hosts, so the per-host limit does not serialise


def seed(url: str, n: int, interval: int, ports: list[int]) -> Any:
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with transaction(factory) as session:
        team = Team(name="bench", timezone="UTC", created_at=now)
        session.add(team)
        session.flush()
        monitors = [
            {
                "team_id": team.id,
                "type": "http",
                "sort_url": "x",
                "badge_id": f"b{i}",
                "url": f"http://127.0.0.{i % HOSTS + 1}:{ports[i % len(ports)]}/ok",
                "created_at": now,
                "updated_at": now,
                "options": {},
                "group_name": "",
                "summarized_check_result": "pending",
            }
            for i in range(n)
        ]
        session.execute(insert(Monitor), monitors)
        ids = session.scalars(select(Monitor.id).order_by(Monitor.id)).all()
        settings = {"check_interval_in_seconds": interval, "timeout": 5}
        rows = [
            {
                "monitor_id": mid,
                "type": t,
                "enabled": True,
                "settings": settings if t == "uptime" else {},
                "created_at": now,
                "updated_at": now,
            }
            for mid in ids
            for t in ("uptime", "performance")
        ]
        session.execute(insert(Check), rows)
        checks = session.scalars(select(Check.id).where(Check.type == "uptime")).all()
        session.execute(
            update(Check), [{"id": cid, "next_run_at": next_slot(cid, interval, now)} for cid in checks]
        )
    return factory


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def scenario(
    name: str,
    n: int,
    interval: int,
    seconds: float,
    ports: list[int],
    db: str,
    warmup: float = 0.0,
    fast_path: bool = True,
) -> dict[str, Any]:
    factory = seed(db, n, interval, ports)
    resolver = Resolver()
    driver = CurlDriver()
    ctx = CheckContext(
        resolver=resolver,
        guard=TargetGuard(resolver, allow_private=True),
        clock=lambda: datetime.now(UTC),
        http_client=lambda guard: HttpClient(guard, driver=driver),
    )
    engine = Engine(factory, ctx, EngineSettings(concurrency=1000, per_host=8, sqlite_fast_path=fast_path))
    await engine.start()
    # Measure the steady state: after one interval every check has run once, its settings
    # are cached and the first burst of never-run checks is behind us.
    await asyncio.sleep(warmup)
    stored0 = engine.writer.stored
    lags: list[float] = []
    watch = engine.lag_watch.observe

    def observe(stored_lags: Any) -> None:  # every scheduled run's lag the writer stores
        lags.extend(stored_lags)
        watch(stored_lags)

    engine.lag_watch.observe = observe  # type: ignore[method-assign]
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    stored_at_end = engine.writer.stored - stored0
    cpu1, wall1 = time.process_time(), time.monotonic()
    await engine.stop()
    wall = wall1 - wall0
    uptime_runs = stored_at_end / 2  # every up uptime run also stores a performance run
    return {
        "scenario": name,
        "monitors": n,
        "interval_s": interval,
        "warmup_s": warmup,
        "seconds": round(wall, 1),
        "uptime_checks": int(uptime_runs),
        "checks_per_s": round(uptime_runs / wall, 1),
        "demand_per_s": round(n / interval, 1),
        "lag_p50_ms": round(percentile(lags, 0.5) * 1000, 1),
        "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
        "cpu_ms_per_check": round((cpu1 - cpu0) * 1000 / max(uptime_runs, 1), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for row in rows:
        print("  ".join(str(row[k]).ljust(widths[k]) for k in keys), flush=True)


STANDARD = [
    ("n1000-60s", 1000, 60),
    ("n10000-60s", 10_000, 60),
    ("n10000-5s", 10_000, 5),
    ("n20000-5s", 20_000, 5),
]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Engine throughput against loopback targets.")
    parser.add_argument("--monitors", type=int, help="run one scenario with this many monitors")
    parser.add_argument("--interval", type=int, default=60, help="seconds between runs (with --monitors)")
    parser.add_argument("--seconds", type=float, default=30, help="how long each scenario runs")
    parser.add_argument("--warmup", type=float, help="seconds before measuring (default: one interval)")
    parser.add_argument("--quick", action="store_true", help="200 monitors at 5 s")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop", help="as under uvicorn")
    parser.add_argument("--no-write", action="store_true", help="leave bench/results/engine.json alone")
    parser.add_argument(
        "--core", action="store_true", help="SQLAlchemy Core statements on SQLite too (no sqlite3 fast path)"
    )
    return parser.parse_args(argv)


async def run_plan(
    plan: list[tuple[str, int, int]], seconds: float, warmup: float | None, fast_path: bool = True
) -> list[dict[str, Any]]:
    targets = Targets()  # loopback sites in child processes (bench/scale.py)
    ports = targets.ports
    rows = []
    try:
        for name, n, interval in plan:
            with tempfile.TemporaryDirectory() as tmp:
                db = f"sqlite:///{Path(tmp) / 'b.db'}"
                wait = float(interval) if warmup is None else warmup
                rows.append(await scenario(name, n, interval, seconds, ports, db, wait, fast_path))
            print_table(rows[-1:])
    finally:
        targets.stop()
    return rows


def write_results(rows: list[dict[str, Any]], loop: str) -> Path:
    """Merge `rows` into the results file, replacing earlier rows of the same scenario."""
    out = Path(__file__).parent / "results" / "engine.json"
    out.parent.mkdir(exist_ok=True)
    previous: list[dict[str, Any]] = []
    if out.exists():
        previous = json.loads(out.read_text()).get("results", [])
    names = {row["scenario"] for row in rows}
    merged = [row for row in previous if row["scenario"] not in names] + rows
    meta = {
        "python": sys.version.split()[0],
        "cpus": multiprocessing.cpu_count(),
        "host": socket.gethostname(),
        "loop": loop,
    }
    out.write_text(json.dumps({"meta": meta, "results": merged}, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING)
    plan = STANDARD
    if args.quick:
        plan = [("n200-5s", 200, 5)]
    if args.monitors:
        plan = [(f"n{args.monitors}-{args.interval}s", args.monitors, args.interval)]
    if args.core:
        plan = [(f"{name}-core", n, interval) for name, n, interval in plan]
    if args.loop == "uvloop":
        import uvloop

        rows = uvloop.run(run_plan(plan, args.seconds, args.warmup, not args.core))
    else:
        rows = asyncio.run(run_plan(plan, args.seconds, args.warmup, not args.core))
    print()
    print_table(rows)
    if not args.no_write:
        print(f"\nwrote {write_results(rows, args.loop)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
