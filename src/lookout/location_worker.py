"""`lookout worker`: a process that only runs checks, for one location.

It takes the jobs `lookout serve` puts into the shared queue (Redis Streams) for its
location, runs them, and stores their results and state changes in the shared database
itself, as serve's own engine would; serve's outbox and failover pick the state changes up
from there. It has no API, no scheduler and no sweeps. On SIGTERM or SIGINT it stops
taking jobs, hands its read-ahead back to the queue, lets its running checks finish and
stores their results. A worker killed outright loses nothing either: its leases run out
and another runner takes its jobs over.

With `--port` it also answers /health, /ready and /metrics (the check runs it counts,
behind LOOKOUT_METRICS_TOKEN when set) there, and uvicorn owns the signals.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from lookout.api.ops import build_ops_router
from lookout.app import Store, build_engine, open_store
from lookout.engine.facade import Engine
from lookout.services.health import HealthService
from lookout.settings import Settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_worker(settings: Settings, store: Store) -> AsyncIterator[Engine]:
    engine = build_engine(settings, store, schedule=False)
    gc.freeze()  # what was built lives as long as the process (as in `lookout serve`)
    await engine.start()
    log.info(
        "worker started: location=%s pools=%s consumer=%s",
        settings.location,
        engine.settings.pools(),
        getattr(engine.queue, "consumer", "-"),
    )
    try:
        yield engine
    finally:
        log.info("worker stopping: running checks finish and their results are stored")
        await engine.stop()
        log.info("worker stopped: %d results stored", engine.writer.stored)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or a signal arrives), then drain."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    store = open_store(settings)
    try:
        async with running_worker(settings, store):
            await stop.wait()
    finally:
        store.engine.dispose()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def worker_app(settings: Settings, store: Store) -> FastAPI:
    """The worker as the lifespan of an app with only the operations endpoints."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_worker(settings, store) as engine:
            app.state.engine = engine
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(build_ops_router(HealthService(store.engine), settings.metrics_token))
    return app
