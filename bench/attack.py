"""The hardening issue's probes, run together against one live `lookout serve`.

Team "mallory" sends every probe the hardening issue lists while team "victim" keeps an http
monitor on a healthy loopback site and asks `GET /api/me` every 50 ms. Prints each probe's
answers, the victim's `/api/me` p50/p99 during the probes, whether the victim's check kept
running, and whether the victim ever saw mallory's monitors; writes bench/results/attack.json.

    .venv/bin/python bench/attack.py                       # SQLite
    .venv/bin/python bench/attack.py --database-url postgresql+psycopg://postgres@127.0.0.1/attack
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from lookout.app import build_services, open_store
from lookout.settings import Settings

RESULTS = Path(__file__).parent / "results" / "attack.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_targets(ready: threading.Event, ports: dict[str, int]) -> None:
    """An evil site (a header built to freeze backtracking regexes), a healthy one, and a
    host that accepts and never answers."""

    async def evil(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        header = b"X-Evil: " + b"a" * 30_000 + b"!\r\n"
        writer.write(b"HTTP/1.1 200 OK\r\n" + header + b"Content-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def healthy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        for name, handler in (("evil", evil), ("healthy", healthy), ("hang", hang)):
            server = await asyncio.start_server(handler, "127.0.0.1", 0, backlog=2048)
            ports[name] = server.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--hanging", type=int, default=520)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=100_000,
        help="per token per minute; high so every probe is answered",
    )
    args = parser.parse_args()
    ports: dict[str, int] = {}
    ready = threading.Event()
    threading.Thread(target=serve_targets, args=(ready, ports), daemon=True).start()
    ready.wait()

    data_dir = Path(tempfile.mkdtemp(prefix="lookout-attack-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url)
    services = build_services(open_store(settings))
    mallory = services.tokens.create("mallory@example.test", "mallory")
    victim = services.tokens.create("victim@example.test", "victim")
    port = free_port()
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(data_dir),
        "LOOKOUT_PORT": str(port),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_LOG_LEVEL": "warning",
        "LOOKOUT_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
    }
    if args.database_url:
        env["LOOKOUT_DATABASE_URL"] = args.database_url
    server = subprocess.Popen([sys.executable, "-m", "lookout", "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    answers: dict[str, Counter[int]] = {}
    me_ms: list[float] = []
    stop = threading.Event()
    try:
        bad = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {mallory.token}"}, timeout=120)
        good = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {victim.token}"}, timeout=30)
        for _ in range(300):
            try:
                good.get("/api/me")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        site = good.post(
            "/api/monitors",
            json={
                "url": f"http://127.0.0.1:{ports['healthy']}/",
                "team_id": victim.team_id,
                "type": "http",
                "checks": ["uptime"],
                "uptime_check_settings": {"check_interval_in_seconds": 10},
            },
        ).json()

        def watch() -> None:
            while not stop.is_set():
                began = time.perf_counter()
                good.get("/api/me")
                me_ms.append((time.perf_counter() - began) * 1000)
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        def note(name: str, response: httpx.Response) -> None:
            answers.setdefault(name, Counter())[response.status_code] += 1

        rule = [{"name": "X-Evil", "condition": "matches_regex", "value": "^(a+)+$"}]
        note(
            "ReDoS monitor",
            bad.post(
                "/api/monitors",
                json={
                    "url": f"http://127.0.0.1:{ports['evil']}/",
                    "team_id": mallory.team_id,
                    "type": "http",
                    "checks": ["uptime"],
                    "uptime_check_settings": {
                        "check_interval_in_seconds": 10,
                        "expected_response_headers": rule,
                    },
                },
            ),
        )
        note(
            "backreference regex",
            bad.post(
                "/api/monitors",
                json={
                    "url": "https://x.example/",
                    "team_id": mallory.team_id,
                    "type": "http",
                    "uptime_check_settings": {
                        "expected_response_headers": [
                            {"name": "X", "condition": "matches_regex", "value": "(a)\\1"}
                        ]
                    },
                },
            ),
        )
        hanging_ids = []
        for n in range(args.hanging):
            response = bad.post(
                "/api/monitors",
                json={
                    "url": f"http://127.0.0.1:{ports['hang']}/{n}",
                    "team_id": mallory.team_id,
                    "type": "http",
                    "checks": ["uptime"],
                    "uptime_check_settings": {"timeout": 60, "check_interval_in_seconds": 60},
                },
            )
            note("hanging monitors", response)
            if response.status_code == 201:
                hanging_ids.append(response.json())
        if hanging_ids:
            uptime = next(c["id"] for c in hanging_ids[0]["checks"] if c["type"] == "uptime")
            for _ in range(200):
                note("request-run x200", bad.post(f"/api/checks/{uptime}/request-run"))
        for spelling in ("bearer", "BEARER", "Bearer "):
            note(
                "rate-limit spellings",
                bad.get("/api/me", headers={"Authorization": f"{spelling} {mallory.token}"}),
            )
        for n in range(80):
            note("bogus tokens", httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer bogus{n}"}))
        note(
            "20 MB anonymous POST", httpx.post(f"{base}/api/monitors", content=b"x" * 20_000_000, timeout=60)
        )
        note("20 MB POST", bad.post("/api/monitors", content=b"x" * 20_000_000))
        for path in ("/api/monitors", "/api/sites"):
            note("page overflow", bad.get(f"{path}?page[number]=100000000000000000"))
        note(
            "NUL in a name",
            bad.post(
                "/api/monitors",
                json={
                    "url": "https://nul.example/",
                    "team_id": mallory.team_id,
                    "type": "http",
                    "friendly_name": "a\x00b",
                },
            ),
        )
        note(
            "CR/LF header",
            bad.post(
                "/api/monitors",
                json={
                    "url": "https://crlf.example/",
                    "team_id": mallory.team_id,
                    "type": "http",
                    "uptime_check_settings": {
                        "http_client_headers": [{"name": "X", "value": "a\r\nInjected: 1"}]
                    },
                },
            ),
        )
        time.sleep(20)  # the hanging and evil checks run meanwhile
        stop.set()
        watcher.join()
        seen = good.get("/api/monitors").json()["data"]
        victim_check = good.get(f"/api/monitors/{site['id']}/checks/uptime/runs").json()["data"]
    finally:
        server.terminate()
        server.wait(60)

    ordered = sorted(me_ms)
    result = {
        "database": "postgresql" if args.database_url else "sqlite",
        "probes": {name: dict(counts) for name, counts in answers.items()},
        "me_p50_ms": round(statistics.median(ordered), 2),
        "me_p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "me_requests": len(ordered),
        "victim_sees_only_its_monitors": [m["id"] for m in seen] == [site["id"]],
        "victim_check_runs": len(victim_check),
        "victim_check_results": dict(Counter(run["result"] for run in victim_check)),
    }
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[result["database"]] = result
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
