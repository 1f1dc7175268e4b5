"""A loopback HTTP(S) server with the routes the check tests need.

Routes:
    /ok                 200, "Welcome to Lookout"
    /status/{code}      that status, body "status {code}"
    /slow?ms=N          waits N ms, then 200
    /hang               never answers within a test's patience
    /redirect/{n}       302 to /redirect/{n-1}; /redirect/0 is /ok
    /loop               302 to itself
    /to?url=U           302 to U
    /headers            200 with X-Foo: a and X-Count: 42
    /long-header?n=N    200 with X-Long: N "a"s and then "!" (a regex's worst case)
    /echo               200, JSON of the method, headers and form the request carried
    /big?kib=N          200, N KiB of "a" and then "TAIL"
    /error-page         200, "An Error happened"
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="Welcome to Lookout")


async def _status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.Response(status=code, text=f"status {code}")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(int(request.query.get("ms", "100")) / 1000)
    return web.Response(text="slow but fine")


async def _hang(request: web.Request) -> web.Response:
    await asyncio.sleep(60)
    return web.Response(text="too late")


async def _redirect(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    raise web.HTTPFound("/ok" if n <= 0 else f"/redirect/{n - 1}")


async def _loop(request: web.Request) -> web.Response:
    raise web.HTTPFound("/loop")


async def _to(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["url"])


async def _headers(request: web.Request) -> web.Response:
    return web.Response(text="headers", headers={"X-Foo": "a", "X-Count": "42"})


async def _long_header(request: web.Request) -> web.Response:
    count = int(request.query.get("n", "30000"))
    return web.Response(text="long header", headers={"X-Long": "a" * count + "!"})


async def _echo(request: web.Request) -> web.Response:
    form = await request.post() if request.can_read_body else {}
    return web.json_response(
        {
            "method": request.method,
            "headers": dict(request.headers),
            "form": {key: str(value) for key, value in form.items()},
        }
    )


async def _big(request: web.Request) -> web.Response:
    kib = int(request.query.get("kib", "2048"))
    return web.Response(body=b"a" * (kib * 1024) + b"TAIL")


async def _error_page(request: web.Request) -> web.Response:
    return web.Response(text="An Error happened")


def build_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/ok", _ok)
    app.router.add_get("/status/{code}", _status)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/hang", _hang)
    app.router.add_get("/redirect/{n}", _redirect)
    app.router.add_get("/loop", _loop)
    app.router.add_get("/to", _to)
    app.router.add_get("/headers", _headers)
    app.router.add_get("/long-header", _long_header)
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/big", _big)
    app.router.add_get("/error-page", _error_page)
    return app


@dataclass(frozen=True, slots=True)
class RunningServer:
    host: str
    port: int
    scheme: str

    def url(self, path: str = "/ok", host: str | None = None) -> str:
        name = host or self.host
        if ":" in name:
            name = f"[{name}]"
        return f"{self.scheme}://{name}:{self.port}{path}"


@asynccontextmanager
async def serve_http(
    host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[RunningServer]:
    """Serve `build_app()` on an ephemeral port of `host` until the block ends."""
    runner = web.AppRunner(build_app(), shutdown_timeout=0.1, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]
    try:
        yield RunningServer(host, port, "https" if ssl_context else "http")
    finally:
        await runner.cleanup()
