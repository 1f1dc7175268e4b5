"""The cron ping receiver under load: 10,000 pings from a second process.

Starts `lookout serve` (engine on, so the heartbeat sweep runs too) on a fresh SQLite
database, or uses a running one (`--url` and `--token`), creates a monitor with `--tasks`
cron checks through the API, then a separate client process sends `--pings` pings over
`--connections` keep-alive HTTP/1.1 connections (raw asyncio streams: the client must not
be the bottleneck) — a mix of bare GETs, `/starting`, and `/finished` POSTs with a form
body — and times each one. Prints a table, writes bench/results/cron_pings.json.

    .venv/bin/python bench/cron_pings.py [--pings 10000] [--connections 64] [--tasks 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

RESULTS = Path(__file__).parent / "results" / "cron_pings.json"  # cron_pings_<db>.json for others


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def requests_for(uuids: list[str], count: int) -> list[bytes]:
    """Raw requests: a third bare GET, a third `/starting`, a third `/finished` with a body."""
    out = []
    for index in range(count):
        uuid = uuids[index % len(uuids)]
        kind = index % 3
        if kind == 0:
            out.append(f"GET /ping/{uuid} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        elif kind == 1:
            out.append(
                f"POST /ping/{uuid}/starting HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n".encode()
            )
        else:
            body = b"memory=1048576&runtime=0.25&exit_code=0"
            out.append(
                f"POST /ping/{uuid}/finished HTTP/1.1\r\nHost: bench\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
    return out


async def _connection(
    host: str, port: int, work: list[bytes], latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in work:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(str(status))
    finally:
        writer.close()


async def _send(url: str, requests: list[bytes], connections: int) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors: list[str] = []
    shares = [requests[i::connections] for i in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(_connection(host, port, share, latencies, errors) for share in shares))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "errors": errors}


def client_process(url: str, requests: list[bytes], connections: int, out: Any) -> None:
    """The second process: sends everything and puts the raw measurements on `out`."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(_send(url, requests, connections)))


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def pinged_tasks(url: str, token: str, monitor_id: int) -> int:
    """How many of the monitor's cron checks show a recorded ping (read back through the API)."""
    headers = {"Authorization": f"Bearer {token}"}
    data = httpx.get(f"{url}/api/monitors/{monitor_id}/cron-checks", headers=headers, timeout=30).json()[
        "data"
    ]
    return sum(1 for task in data if task["latest_result"] and task["latest_ping_at"])


def prepare(url: str, token: str, tasks: int) -> tuple[int, list[str]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        me = client.get("/api/me").json()
        monitor = client.post(
            "/api/monitors",
            json={
                "url": "https://bench-cron.example",
                "team_id": me["teams"][0]["id"],
                "type": "http",
                "checks": [],
            },
        ).json()
        body = {
            "cron_checks": [
                {"name": f"job {i}", "type": "cron", "cron_expression": f"{i % 60} * * * *",
                 "grace_time_in_minutes": 5, "server_timezone": "Europe/Amsterdam"}
                for i in range(tasks)
            ]
        }  # fmt: skip
        synced = client.post(f"/api/monitors/{monitor['id']}/cron-checks/sync", json=body)
        assert synced.status_code == 200, synced.text
        return monitor["id"], [task["uuid"] for task in synced.json()["data"]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pings", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--url", help="a running lookout serve (default: start one)")
    parser.add_argument("--token", help="an API token for --url")
    parser.add_argument("--database-url", help="for the started server (default: a fresh SQLite file)")
    args = parser.parse_args()

    server = None
    database = "given"
    if args.url:
        url, token = args.url.rstrip("/"), args.token
    else:
        from lookout.app import build_services, open_store
        from lookout.settings import Settings

        data_dir = Path(tempfile.mkdtemp(prefix="lookout-bench-cron-"))
        port = free_port()
        env = {**os.environ, "LOOKOUT_DATA_DIR": str(data_dir), "LOOKOUT_PORT": str(port),
               "LOOKOUT_RATE_LIMIT_PER_MINUTE": "1000000", "LOOKOUT_LOG_LEVEL": "warning",
               "LOOKOUT_ACCESS_LOG": "false"}  # fmt: skip
        if args.database_url:
            env["LOOKOUT_DATABASE_URL"] = args.database_url
        else:
            env.pop("LOOKOUT_DATABASE_URL", None)
        settings = Settings(data_dir=data_dir, database_url=env.get("LOOKOUT_DATABASE_URL"))
        database = settings.effective_database_url.split(":", 1)[0]
        store = open_store(settings)
        issued = build_services(store).tokens.create("bench@example.test", "bench")
        store.engine.dispose()
        token = issued.token
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "lookout", "serve"], env=env, stdout=subprocess.DEVNULL
        )
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        monitor_id, uuids = prepare(url, str(token), args.tasks)
        # Warm up (connections, caches), then the measured run from a second process.
        context = multiprocessing.get_context("spawn")
        for count in (min(500, args.pings), args.pings):
            out = context.Queue()
            worker = context.Process(
                target=client_process, args=(url, requests_for(uuids, count), args.connections, out)
            )
            worker.start()
            measured = out.get()
            worker.join()
        recorded = pinged_tasks(url, str(token), monitor_id)
        assert recorded == len(uuids), f"only {recorded} of {len(uuids)} cron checks show a ping"
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)

    ordered = sorted(measured["latencies"])
    result = {
        "pings": len(ordered),
        "connections": args.connections,
        "tasks": args.tasks,
        "database": database,
        "errors": len(measured["errors"]),
        "seconds": round(measured["elapsed"], 3),
        "requests_per_second": round(len(ordered) / measured["elapsed"], 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(percentile(ordered, 0.90), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2),
        "cpus": os.cpu_count(),
    }
    print(
        f"{result['pings']} pings to {result['tasks']} cron checks "
        f"over {args.connections} connections ({database})"
    )
    print(f"{'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    print(
        f"{result['requests_per_second']:>10} {result['p50_ms']:>8} {result['p90_ms']:>8} "
        f"{result['p99_ms']:>8} {result['max_ms']:>8} {result['errors']:>7}"
    )
    path = RESULTS if database == "sqlite" else RESULTS.with_name(f"cron_pings_{database.split('+')[0]}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
