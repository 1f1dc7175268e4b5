"""GET /api/monitors (one page) and GET /api/monitors/{id} with 10,000 monitors in SQLite.

Starts `lookout serve` in a subprocess on a fresh SQLite database, fills it, then times
sequential requests over one keep-alive connection. Prints a table, writes
bench/results/api.json.

    .venv/bin/python bench/api.py [--monitors 10000] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from lookout.app import build_services, open_store
from lookout.settings import Settings
from lookout.store.tables import Check, Monitor

RESULTS = Path(__file__).parent / "results" / "api.json"


def fill(settings: Settings, count: int) -> str:
    """Create one monitor through the service, then copy it `count - 1` times in bulk."""
    store = open_store(settings)
    services = build_services(store)
    issued = services.tokens.create("bench@example.test", "bench")
    who = services.tokens.authenticate(issued.token)
    first = services.monitors.create(
        who, {"url": "https://site-0.example", "team_id": issued.team_id, "type": "http", "tags": ["bench"]}
    )
    with store.sessions() as session, session.begin():
        template = dict(
            session.execute(select(*Monitor.__table__.c).where(Monitor.id == first.monitor.id)).one()._mapping
        )
        checks = [
            dict(row._mapping)
            for row in session.execute(select(*Check.__table__.c).where(Check.monitor_id == first.monitor.id))
        ]
        monitors = []
        for index in range(1, count):
            row = {
                **template,
                "url": f"https://site-{index}.example",
                "sort_url": f"site-{index}.example",
                "badge_id": f"{index:026x}",
            }
            row.pop("id")
            monitors.append(row)
        session.execute(insert(Monitor), monitors)
        ids = session.scalars(
            select(Monitor.id).where(Monitor.id != first.monitor.id).order_by(Monitor.id)
        ).all()
        rows = []
        for monitor_id in ids:
            for check in checks:
                rows.append({**{k: v for k, v in check.items() if k != "id"}, "monitor_id": monitor_id})
        session.execute(insert(Check), rows)
    store.engine.dispose()
    return issued.token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(client: httpx.Client, paths: list[str]) -> list[float]:
    samples = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:200]
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "requests": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="lookout-bench-"))
    port = free_port()
    env = {**os.environ, "LOOKOUT_DATA_DIR": str(data_dir), "LOOKOUT_PORT": str(port),
           "LOOKOUT_RATE_LIMIT_PER_MINUTE": "1000000", "LOOKOUT_LOG_LEVEL": "warning",
           # The API alone: an engine would be checking 10,000 made-up sites meanwhile.
           "LOOKOUT_RUN_ENGINE": "false"}  # fmt: skip
    env.pop("LOOKOUT_DATABASE_URL", None)
    started = time.perf_counter()
    token = fill(Settings(data_dir=data_dir), args.monitors)
    fill_seconds = time.perf_counter() - started
    server = subprocess.Popen([sys.executable, "-m", "lookout", "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            for _ in range(100):
                try:
                    client.get("/api/me")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            pages = max(1, args.monitors // 200)
            rng = random.Random(7)
            timed(client, ["/api/monitors"] * 10)  # warm up
            results: dict[str, Any] = {
                "GET /api/monitors (page of 200)": summary(
                    timed(
                        client,
                        [f"/api/monitors?page[number]={rng.randint(1, pages)}" for _ in range(args.requests)],
                    )
                ),
                "GET /api/monitors?page[size]=50": summary(
                    timed(
                        client,
                        [
                            f"/api/monitors?page[size]=50&page[number]={rng.randint(1, pages * 4)}"
                            for _ in range(args.requests)
                        ],
                    )
                ),
                "GET /api/monitors/{id}": summary(
                    timed(
                        client,
                        [f"/api/monitors/{rng.randint(1, args.monitors)}" for _ in range(args.requests * 3)],
                    )
                ),
            }
    finally:
        server.terminate()
        server.wait(10)

    print(f"{args.monitors} http monitors (13 checks each) in SQLite, filled in {fill_seconds:.1f} s")
    print(f"{'request':36} {'median ms':>10} {'p99 ms':>10} {'mean ms':>10} {'n':>6}")
    for name, row in results.items():
        print(
            f"{name:36} {row['median_ms']:>10} {row['p99_ms']:>10} {row['mean_ms']:>10} {row['requests']:>6}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"monitors": args.monitors, "database": "sqlite", "results": results}, indent=2) + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
