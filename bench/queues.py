"""The job queues side by side: the embedded one and Redis Streams (the shared one).

Puts `--jobs` jobs (spread over `--teams` teams and 1,000 hosts), then takes them as a
runner does (up to 500 a take, with room for all) and acknowledges them in batches of 100,
as the writer does. Reports jobs a second and CPU per job for each phase: this process's
CPU, and for Redis also the server's (from INFO), since that is a cost the deployment pays.
Prints a table, writes bench/results/queues.json.

    .venv/bin/python bench/queues.py [--jobs 20000] [--teams 10] [--redis redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lookout.engine.queue import Job, Lease, MemoryQueue, Queue
from lookout.engine.queue.redis_streams import RedisStreamsQueue
from scale import forget_keys, redis_cpu  # bench/, beside this script

RESULTS = Path(__file__).parent / "results" / "queues.json"
TAKE = 500
ACK_BATCH = 100


class Roomy:
    def free(self, team_id: int, host: str) -> int:
        return 1_000_000

    def team_free(self, team_id: int, contended: bool) -> int:
        return 1_000_000


def jobs(count: int, teams: int) -> list[Job]:
    now = datetime.now(UTC)
    settings = {"check_interval_in_seconds": 60, "timeout_in_ms": 10_000}
    return [
        Job(i, i, "uptime", "http", f"https://h{i % 1000}.example/", settings, "bench", now, team_id=team)
        for i, team in ((i, i % teams) for i in range(count))
    ]


async def timed(
    phase: Callable[[], Awaitable[int]], redis_url: str | None
) -> tuple[int, float, float, float | None]:
    server_before = redis_cpu(redis_url) if redis_url else None
    cpu, wall = time.process_time(), time.perf_counter()
    done = await phase()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    server = redis_cpu(redis_url) - server_before if redis_url and server_before is not None else None
    return done, wall, cpu, server


async def run(queue: Queue, batch: list[Job], redis_url: str | None) -> dict[str, Any]:
    async def put_all() -> int:
        return sum(await queue.put_all(batch))

    async def take_all() -> int:
        done, room, pending = 0, Roomy(), []
        while done < len(batch):
            leases: list[Lease] = await queue.take("bench", "fast", TAKE, 0.5, room)
            if not leases:
                break
            pending += leases
            while len(pending) >= ACK_BATCH:
                await queue.ack_all(pending[:ACK_BATCH])
                del pending[:ACK_BATCH]
            done += len(leases)
        await queue.ack_all(pending)
        return done

    row: dict[str, Any] = {}
    for name, phase in (("put", put_all), ("take+ack", take_all)):
        done, wall, cpu, server = await timed(phase, redis_url)
        assert done == len(batch), f"{name}: {done} of {len(batch)}"
        row[name] = {
            "jobs_per_s": round(done / wall),
            "client_us_per_job": round(cpu / done * 1e6, 1),
            "server_us_per_job": None if server is None else round(server / done * 1e6, 1),
        }
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    batch = jobs(args.jobs, args.teams)
    results: dict[str, Any] = {"jobs": args.jobs, "teams": args.teams}
    results["measured_at"] = datetime.now(UTC).isoformat()
    results["memory"] = await run(MemoryQueue(), batch, None)
    prefix = f"lookout-bench:{uuid.uuid4().hex}:"
    shared = RedisStreamsQueue(args.redis, prefix=prefix)
    try:
        results["redis"] = await run(shared, batch, args.redis)
    finally:
        await shared.aclose()
        forget_keys(f"{prefix}*", args.redis)
    print(f"{args.jobs:,} jobs, {args.teams} teams")
    print(f"{'queue':<8} {'phase':<9} {'jobs/s':>9} {'client µs/job':>14} {'server µs/job':>14}")
    for kind in ("memory", "redis"):
        for phase, row in results[kind].items():
            server = "-" if row["server_us_per_job"] is None else f"{row['server_us_per_job']:.1f}"
            client = f"{row['client_us_per_job']:.1f}"
            print(f"{kind:<8} {phase:<9} {row['jobs_per_s']:>9,} {client:>14} {server:>14}")
    if not args.no_write:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
