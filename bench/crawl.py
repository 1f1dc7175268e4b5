"""Crawl speed: Lookout's crawler against Debian's LinkChecker on the same generated site.

    python bench/crawl.py [--pages 5000] [--links 8]

A site of N pages (each linking to `links` other pages, one image, a script and a
stylesheet; every page reachable from /) is served by aiohttp in its own process on
loopback. Then, in this run:

1. `crawl`: Lookout's crawler walks every page at the `unlimited` speed (pages only);
2. `broken-links`: the broken-links check's whole job (crawl, then every image, script and
   stylesheet checked with HEAD);
3. `linkchecker`: Debian's LinkChecker (`apt-get install linkchecker`) on the same site,
   with 32 threads, external links off.

Each reports seconds, pages/s (URLs/s for LinkChecker, which counts every URL it checks)
and peak memory (our crawls run each in a process of their own and report its RSS
high-water mark; LinkChecker's RSS is sampled every 20 ms). Prints a table and writes
bench/results/crawl.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "crawl.json"


def serve(pages: int, links: int, port_out: Any) -> None:
    from aiohttp import web

    def page_html(i: int) -> str:
        targets = {(i * 7 + k * 131 + 1) % pages for k in range(links - 1)} | {(i + 1) % pages}
        anchors = "".join(f'<a href="/page/{t}">Page {t}</a> ' for t in sorted(targets))
        return (
            f'<!doctype html><html><head><title>Page {i}</title><link rel="stylesheet" href="/site.css">'
            f'<script src="/app.js"></script></head><body><h1>Page {i}</h1>'
            f'<img src="/img/{i % 50}.png" alt="image">{anchors}<p>{"Lorem ipsum dolor sit amet. " * 40}</p>'
            "</body></html>"
        )

    async def index(request: web.Request) -> web.Response:
        return web.Response(text='<a href="/page/0">start</a>', content_type="text/html")

    async def page(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        if i >= pages:
            raise web.HTTPNotFound()
        return web.Response(text=page_html(i), content_type="text/html")

    async def asset(request: web.Request) -> web.Response:
        return web.Response(body=b"\0" * 512, content_type="application/octet-stream")

    @web.middleware
    async def allow_linkchecker(request: web.Request, handler: Any) -> web.StreamResponse:
        # LinkChecker goes past 10 requests/s to a host only when the host says so.
        response: web.StreamResponse = await handler(request)
        response.headers["LinkChecker"] = "yes"
        return response

    async def main() -> None:
        app = web.Application(middlewares=[allow_linkchecker])
        app.router.add_get("/", index)
        app.router.add_get("/page/{i:\\d+}", page)
        app.router.add_get("/img/{name}", asset)
        app.router.add_get("/site.css", asset)
        app.router.add_get("/app.js", asset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        assert site._server is not None
        port_out.put(site._server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def run_lookout(mode: str, url: str, pages: int, out: Any) -> None:
    """One measurement in a fresh process, so its peak RSS is its own."""
    from lookout.checks.base import CheckContext, Target
    from lookout.checks.broken_links import find_broken_links
    from lookout.model.check_settings import BrokenLinksSettings
    from lookout.model.check_type import MonitorType
    from lookout.net.crawl import SPEEDS, CrawlConfig, Crawler
    from lookout.net.guard import TargetGuard
    from lookout.net.http import HttpClient
    from lookout.net.resolve import Resolver

    async def main() -> dict[str, Any]:
        guard = TargetGuard(Resolver.from_setting(None), allow_private=True)
        started = time.perf_counter()
        cpu = time.process_time()
        if mode == "crawl":
            config = CrawlConfig(start_url=url, politeness=SPEEDS["unlimited"], max_pages=pages + 10)
            crawler = Crawler(HttpClient(guard), config)
            stats = await crawler.crawl()
            crawled, requests = stats.pages, stats.requests
        else:
            from datetime import UTC, datetime

            ctx = CheckContext(resolver=guard.resolver, guard=guard, clock=lambda: datetime.now(UTC))
            settings = BrokenLinksSettings.model_validate({"crawler_speed": "unlimited"})
            report = await find_broken_links(
                Target(0, MonitorType.HTTP, url), settings, ctx, max_pages=pages + 10
            )
            crawled, requests = report.pages, int(report.stats["requests"])
            assert not report.broken, report.broken[:3]
        seconds = time.perf_counter() - started
        return {
            "pages": crawled,
            "requests": requests,
            "seconds": round(seconds, 2),
            "pages_per_s": round(crawled / seconds, 1),
            "requests_per_s": round(requests / seconds, 1),
            "cpu_s": round(time.process_time() - cpu, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }

    out.put(asyncio.run(main()))


def measure_lookout(mode: str, url: str, pages: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=run_lookout, args=(mode, url, pages, out))
    process.start()
    result: dict[str, Any] = out.get(timeout=600)
    process.join()
    return result


def measure_linkchecker(url: str, threads: int) -> dict[str, Any] | None:
    binary = shutil.which("linkchecker")
    if binary is None:
        print("linkchecker is not installed (apt-get install -y linkchecker); skipped", file=sys.stderr)
        return None
    config = Path(tempfile.mkdtemp()) / "linkcheckerrc"
    config.write_text("[checking]\nmaxrequestspersecond=100000\n")
    config.parent.chmod(0o755)
    config.chmod(0o644)  # LinkChecker drops to `nobody` when run as root
    import psutil

    command = [
        binary,
        "-f",
        str(config),
        "--no-status",
        "--no-warnings",
        "-t",
        str(threads),
        "-o",
        "text",
        url,
    ]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()), daemon=True)
    reader.start()
    while process.poll() is None:  # RUSAGE_CHILDREN's high-water mark would include our crawls
        with contextlib.suppress(psutil.Error):
            peak = max(peak, process.memory_info().rss)
        time.sleep(0.02)
    reader.join()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"(\d+) links? in (\d+) URLs? checked", "".join(output))
    urls = int(match.group(2)) if match else 0
    return {
        "urls": urls,
        "links": int(match.group(1)) if match else 0,
        "seconds": round(seconds, 2),
        "urls_per_s": round(urls / seconds, 1),
        "cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
        "peak_rss_mb": round(peak / 1024 / 1024, 1),
        "exit_code": process.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--links", type=int, default=8)
    parser.add_argument("--threads", type=int, default=32, help="LinkChecker threads")
    parser.add_argument("--no-linkchecker", action="store_true")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve, args=(args.pages, args.links, ports), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=30)}/"
        results: dict[str, Any] = {
            "crawl": measure_lookout("crawl", url, args.pages),
            "broken-links": measure_lookout("broken-links", url, args.pages),
        }
        if not args.no_linkchecker:
            results["linkchecker"] = measure_linkchecker(url, args.threads)
    finally:
        server.terminate()
        server.join()

    header = ("run", "pages", "requests", "seconds", "pages/s", "req/s", "CPU s", "peak MB")
    print(f"{header[0]:<14} " + " ".join(f"{h:>8}" for h in header[1:]))
    for name in ("crawl", "broken-links"):
        r = results[name]
        print(
            f"{name:<14} {r['pages']:>8} {r['requests']:>8} {r['seconds']:>8} {r['pages_per_s']:>8} "
            f"{r['requests_per_s']:>8} {r['cpu_s']:>8} {r['peak_rss_mb']:>8}"
        )
    checker = results.get("linkchecker")
    if checker:
        print(
            f"{'linkchecker':<14} {'-':>8} {checker['urls']:>8} {checker['seconds']:>8} {'-':>8} "
            f"{checker['urls_per_s']:>8} {checker['cpu_s']:>8} {checker['peak_rss_mb']:>8}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "site": {"pages": args.pages, "links_per_page": args.links},
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": multiprocessing.cpu_count(),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
