"""HTTP client cost for checks: CPU ms per request and requests/s, fresh connection each time.

    python bench/http_clients.py [--requests 3000] [--concurrency 50]

A loopback aiohttp server runs in its own process so the client's CPU time
(time.process_time) is the client's alone; each client also runs in its own process.
Every request dials a new connection, as uptime checks do. Prints a table and writes
bench/results/http_clients.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "http_clients.json"
CLIENTS = ("httpx", "aiohttp", "pycurl-multi", "lookout-http")
WARMUP = 100

Fetch = Callable[[], Awaitable[int]]


def serve() -> None:
    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        assert site._server is not None
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


async def make_httpx(url: str) -> tuple[Fetch, Callable[[], Awaitable[None]]]:
    import httpx

    client = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0, max_connections=None))

    async def fetch() -> int:
        return (await client.get(url)).status_code

    return fetch, client.aclose


async def make_aiohttp(url: str) -> tuple[Fetch, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True, limit=0))

    async def fetch() -> int:
        async with session.get(url) as response:
            await response.read()
            return response.status

    return fetch, session.close


async def make_pycurl(url: str) -> tuple[Fetch, Callable[[], Awaitable[None]]]:
    from io import BytesIO

    import pycurl

    from lookout.net.curl import CurlDriver

    driver = CurlDriver()

    async def fetch() -> int:
        curl = pycurl.Curl()
        body = BytesIO()
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.FRESH_CONNECT, 1)
        curl.setopt(pycurl.FORBID_REUSE, 1)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.WRITEFUNCTION, body.write)
        failure = await driver.perform(curl)
        status = 0 if failure else int(curl.getinfo(pycurl.RESPONSE_CODE))
        curl.close()
        return status

    async def close() -> None:
        return None

    return fetch, close


async def make_lookout(url: str) -> tuple[Fetch, Callable[[], Awaitable[None]]]:
    from lookout.net.curl import CurlDriver
    from lookout.net.guard import TargetGuard
    from lookout.net.http import HttpClient, HttpRequest
    from lookout.net.resolve import Resolver

    client = HttpClient(TargetGuard(Resolver(), allow_private=True), driver=CurlDriver())
    request = HttpRequest(url)

    async def fetch() -> int:
        return (await client.fetch(request)).status

    async def close() -> None:
        return None

    return fetch, close


FACTORIES = {
    "httpx": make_httpx,
    "aiohttp": make_aiohttp,
    "pycurl-multi": make_pycurl,
    "lookout-http": make_lookout,
}


async def drive(fetch: Fetch, requests: int, concurrency: int) -> int:
    remaining = requests
    failures = 0

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            if await fetch() != 200:
                failures += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


async def measure(name: str, url: str, requests: int, concurrency: int) -> dict[str, object]:
    fetch, close = await FACTORIES[name](url)
    await drive(fetch, WARMUP, concurrency)
    cpu, wall = time.process_time(), time.perf_counter()
    failures = await drive(fetch, requests, concurrency)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await close()
    return {
        "client": name,
        "requests": requests,
        "failures": failures,
        "cpu_ms_per_request": round(cpu * 1000 / requests, 4),
        "requests_per_s": round(requests / wall, 1),
        "wall_s": round(wall, 3),
    }


def run_client(name: str, url: str, requests: int, concurrency: int) -> None:
    print(json.dumps(asyncio.run(measure(name, url, requests, concurrency))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if args.client:
        run_client(args.client, args.url, args.requests, args.concurrency)
        return

    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/"
        rows = []
        for name in CLIENTS:
            command = [sys.executable, __file__, "--client", name, "--url", url]
            command += ["--requests", str(args.requests), "--concurrency", str(args.concurrency)]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(output.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait()

    print(f"{'client':<14} {'CPU ms/request':>15} {'requests/s':>11} {'failures':>9}")
    for row in rows:
        print(
            f"{row['client']:<14} {row['cpu_ms_per_request']:>15.3f} "
            f"{row['requests_per_s']:>11.0f} {row['failures']:>9}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "fresh-connection GET on loopback",
        "concurrency": args.concurrency,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": rows,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
