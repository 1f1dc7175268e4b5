"""A generated website on loopback with known faults, for the crawler and the site checks.

`PAGES` pages (/page/0 ... /page/N-1, every one reachable from /), each with an image, a
script, a stylesheet and an og:image that exist. Planted faults (`FAULTS`, by page):

    /page/7    link to /missing-page (404)
    /page/11   image /img/missing.png (404)
    /page/13   script /js/missing.js (404)
    /page/17   stylesheet /css/gone.css (410)
    /page/19   og:image /img/og-missing.png (404)
    /page/23   link to /server-error (500)
    /page/29   link to /loop-a (302 to /loop-b, which is 302 to /loop-a)
    /page/31   link to /redirect-ok (302 to /page/1: fine)
    /page/37   link to /calendar/2026/1 (an endless calendar: every month links the next)
    /page/41   link to /huge (a 50 MB HTML page, streamed; `Site.huge_bytes_sent` counts)
    /page/43   link to the external host's /missing (404 there)
    /page/47   link to /ignored/404 (404; the tests whitelist it)
    /page/53   link to /private/secret (robots.txt disallows /private/; answers 500)
    /page/59   mixed content: <img>, <script>, <link rel=stylesheet>, <iframe>, <video>,
               <source>, <object>, <form action> over http://, and a plain <a> over http://
    /page/61   image /img/head-405.png: HEAD is 405, GET is 200 (fine)

Sitemaps: /sitemap.xml is an index of /sitemap-pages.xml, /sitemap-more.xml.gz (gzipped,
served as application/gzip) and a sitemap on another host; /bomb.xml is a billion-laughs
document; /not-xml.xml is not XML. /slow links to 8 pages that each take 200 ms. /orphan
(linked from nowhere) links to /orphan-child.
Every request is counted in `Site.hits` by (method, path); `max_in_flight` is the most
requests the site served at once, `crawl_header_values` the X-Crawl headers it saw.
"""

from __future__ import annotations

import asyncio
import gzip
import queue
import ssl
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from aiohttp import web

PAGES = 300
HUGE_BYTES = 50 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 64

BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>'
)


@dataclass
class Site:
    """The running site: its base URL, the http:// base mixed content points at, counters."""

    base: str
    external_base: str
    mixed_base: str = ""
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    huge_bytes_sent: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    crawl_header_values: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        return self.base + path


def _page_html(site: Site, i: int) -> str:
    links = [f"/page/{(i + 1) % PAGES}", f"/page/{(2 * i + 1) % PAGES}", "/"]
    extra: list[str] = []
    image, script, css, og = f"/img/{i % 10}.png", "/js/app.js", "/css/site.css", "/img/og.png"
    fault_links = {
        7: "/missing-page",
        23: "/server-error",
        29: "/loop-a",
        31: "/redirect-ok",
        37: "/calendar/2026/1",
        41: "/huge",
        43: site.external_base + "/missing",
        47: "/ignored/404",
        53: "/private/secret",
    }
    if i in fault_links:
        links.append(fault_links[i])
    if i == 11:
        image = "/img/missing.png"
    if i == 13:
        script = "/js/missing.js"
    if i == 17:
        css = "/css/gone.css"
    if i == 19:
        og = "/img/og-missing.png"
    if i == 61:
        image = "/img/head-405.png"
    if i == 59:
        m = site.mixed_base
        extra = [
            f'<img src="{m}/img/1.png" alt="insecure">',
            f'<script src="{m}/js/app.js"></script>',
            f'<link rel="stylesheet" href="{m}/css/site.css">',
            f'<iframe src="{m}/page/1"></iframe>',
            f'<video src="{m}/media/clip.mp4"></video>',
            f'<audio><source src="{m}/media/sound.mp3"></audio>',
            f'<object data="{m}/media/thing.swf"></object>',
            f'<form action="{m}/submit"><input name="q"></form>',
            f'<a href="{m}/page/2">a plain link over http is not mixed content</a>',
        ]
    anchors = "".join(f'<a href="{href}">Link to {href}</a> ' for href in links)
    return (
        f'<!doctype html><html><head><title>Page {i}</title><link rel="stylesheet" href="{css}">'
        f'<meta property="og:image" content="{og}"><script src="{script}"></script></head>'
        f'<body><h1>Page {i}</h1><img src="{image}" alt="picture {i}">{anchors}{"".join(extra)}</body></html>'
    )


def _sitemap(locs: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def build_site_app(site: Site) -> web.Application:
    def html(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html")

    @web.middleware
    async def count(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        site.hits[(request.method, request.path_qs)] += 1
        site.crawl_header_values.add(request.headers.get("X-Crawl", ""))
        site.in_flight += 1
        site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            return await handler(request)
        finally:
            site.in_flight -= 1

    async def index(request: web.Request) -> web.Response:
        return html('<html><body><a href="/page/0">Start</a> <a href="/#top">Top</a></body></html>')

    async def orphan(request: web.Request) -> web.Response:
        if request.path == "/orphan":
            return html('<a href="/orphan-child">child</a>')
        return html("no links here")

    async def slow(request: web.Request) -> web.Response:
        if request.path == "/slow":
            return html("".join(f'<a href="/slow/{i}">{i}</a>' for i in range(8)))
        await asyncio.sleep(0.2)
        return html("slow page")

    async def page(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        if not 0 <= i < PAGES:
            raise web.HTTPNotFound()
        return html(_page_html(site, i))

    async def image(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in ("missing.png", "og-missing.png"):
            raise web.HTTPNotFound()
        if name == "head-405.png" and request.method == "HEAD":
            raise web.HTTPMethodNotAllowed("HEAD", ["GET"])
        return web.Response(body=PNG, content_type="image/png")

    async def script(request: web.Request) -> web.Response:
        if request.match_info["name"] == "missing.js":
            raise web.HTTPNotFound()
        return web.Response(text="console.log(1)", content_type="application/javascript")

    async def css(request: web.Request) -> web.Response:
        if request.match_info["name"] == "gone.css":
            raise web.HTTPGone()
        return web.Response(text="body{}", content_type="text/css")

    async def calendar(request: web.Request) -> web.Response:
        year, month = int(request.match_info["y"]), int(request.match_info["m"])
        nxt = (year + month // 12, month % 12 + 1)
        prev = (year - (month == 1), (month - 2) % 12 + 1)
        return html(
            f'<a href="/calendar/{nxt[0]}/{nxt[1]}">next</a> <a href="/calendar/{prev[0]}/{prev[1]}">prev</a>'
            f' <a href="/calendar/{year + 1}/{month}">next year</a>'
        )

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = HUGE_BYTES
        await response.prepare(request)
        chunk = b"<p>" + b"a" * (64 * 1024 - 3)
        try:
            while site.huge_bytes_sent < HUGE_BYTES:
                await response.write(chunk)
                site.huge_bytes_sent += len(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def redirect(request: web.Request) -> web.Response:
        targets = {"/loop-a": "/loop-b", "/loop-b": "/loop-a", "/redirect-ok": "/page/1"}
        raise web.HTTPFound(targets[request.path])

    async def status(request: web.Request) -> web.Response:
        codes = {"/missing-page": 404, "/server-error": 500, "/ignored/404": 404, "/private/secret": 500}
        return html("status", codes[request.path])

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nDisallow: /private/\n")

    async def sitemap_index(request: web.Request) -> web.Response:
        entries = "".join(
            f"<sitemap><loc>{loc}</loc></sitemap>"
            for loc in (
                site.url("/sitemap-pages.xml"),
                site.url("/sitemap-more.xml.gz"),
                "http://other-host.test/sitemap-x.xml",
            )
        )
        body = f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
        return web.Response(text=body, content_type="application/xml")

    async def sitemap_pages(request: web.Request) -> web.Response:
        locs = [site.url(f"/page/{i}") for i in range(100)]
        locs += [site.url("/missing-page"), "http://elsewhere.test/page"]
        return web.Response(body=_sitemap(locs), content_type="application/xml")

    async def sitemap_more(request: web.Request) -> web.Response:
        locs = [site.url(f"/page/{i}") for i in range(100, 150)] + [site.url("/loop-a")]
        return web.Response(body=gzip.compress(_sitemap(locs)), content_type="application/gzip")

    async def bomb(request: web.Request) -> web.Response:
        return web.Response(body=BOMB, content_type="application/xml")

    async def not_xml(request: web.Request) -> web.Response:
        return web.Response(text="<urlset><url><loc>oops</url>", content_type="application/xml")

    app = web.Application(middlewares=[count])
    app.router.add_get("/", index)
    app.router.add_get("/page/{i:\\d+}", page)
    app.router.add_get("/img/{name}", image)
    app.router.add_get("/js/{name}", script)
    app.router.add_get("/css/{name}", css)
    app.router.add_get("/calendar/{y:\\d+}/{m:\\d+}", calendar)
    app.router.add_get("/huge", huge)
    app.router.add_get("/orphan", orphan)
    app.router.add_get("/slow", slow)
    app.router.add_get("/slow/{i}", slow)
    app.router.add_get("/orphan-child", orphan)
    for path in ("/loop-a", "/loop-b", "/redirect-ok"):
        app.router.add_get(path, redirect)
    for path in ("/missing-page", "/server-error", "/ignored/404", "/private/secret"):
        app.router.add_get(path, status)
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/sitemap.xml", sitemap_index)
    app.router.add_get("/sitemap-pages.xml", sitemap_pages)
    app.router.add_get("/sitemap-more.xml.gz", sitemap_more)
    app.router.add_get("/bomb.xml", bomb)
    app.router.add_get("/not-xml.xml", not_xml)
    return app


def _external_app() -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        if request.path == "/missing":
            raise web.HTTPNotFound()
        return web.Response(text="external")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


@asynccontextmanager
async def _serve(
    app: web.Application, host: str, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    runner = web.AppRunner(app, shutdown_timeout=0.1, handle_signals=False)
    await runner.setup()
    listener = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await listener.start()
    assert listener._server is not None
    try:
        yield listener._server.sockets[0].getsockname()[1]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_site(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Site]:
    """The site on 127.0.0.1 (over TLS with `ssl_context`), its external host on 127.0.0.2.

    Over TLS, mixed content points at the same site's plain-HTTP twin on another port.
    """
    async with _serve(_external_app(), "127.0.0.2") as external_port:
        site = Site(base="", external_base=f"http://127.0.0.2:{external_port}")
        app = build_site_app(site)
        async with _serve(app, "127.0.0.1", ssl_context) as port:
            scheme = "https" if ssl_context else "http"
            site.base = f"{scheme}://127.0.0.1:{port}"
            if ssl_context is None:
                site.mixed_base = site.base
                yield site
                return
            async with _serve(build_site_app(site), "127.0.0.1") as plain_port:
                site.mixed_base = f"http://127.0.0.1:{plain_port}"
                yield site


@contextmanager
def site_in_thread() -> Iterator[Site]:
    """`serve_site()` on an event loop of its own thread, for tests whose Lookout runs in
    another thread (the API's TestClient with its engine)."""
    ready: queue.Queue[Site] = queue.Queue()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        async with serve_site() as site:
            ready.put(site)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        yield ready.get(timeout=10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()
