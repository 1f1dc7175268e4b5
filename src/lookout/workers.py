"""`lookout serve` with API workers (`LOOKOUT_API_WORKERS=N`, or "auto", the default: two
from 20,000 monitors on 2 or more cores): one process runs the engine, the outbox and
failover; N processes answer HTTP on the public port.

In one process the API and the engine share one interpreter lock: at 100,000 monitors the
engine holds it most of the time, and a create or a listing waits its turn (see
bench/results/scale.json). Here each API worker has its own. They share the listening socket
this process binds (the kernel hands each connection to one of them), and the database
(SQLite's WAL lets them read while the engine writes). What they need of the engine, a run
requested now and its state for /ready and /metrics, they ask over a Unix socket in a
private directory (`api/engine_link.py`, `api/internal.py`).

A worker that dies is started again; stopping this process stops the workers, then drains
the engine as a single process does.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import uvicorn

from lookout.api.ohdear.ratelimit_shared import SharedTable, shared_table
from lookout.children import join_or_kill
from lookout.settings import Settings

if TYPE_CHECKING:
    from lookout.app import Store

log = logging.getLogger(__name__)

# Sockets pass to spawned children as duplicated descriptors.
multiprocessing.allow_connection_pickling()
_spawn = multiprocessing.get_context("spawn")

# A worker that dies sooner than this after its start waits this long before the next one,
# so a worker that cannot start does not spin the machine.
RESTART_BACKOFF_SECONDS = 5.0
STOP_GRACE_SECONDS = 30.0


def bind(host: str, port: int) -> socket.socket:
    """The public listening socket, bound here once and shared by every worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_level": settings.log_level,
        "log_config": None,  # ours (logs.py)
        "access_log": settings.access_log,
        "proxy_headers": False,
    }


def run_api_worker(
    settings: Settings, sock: socket.socket, engine_socket: Path, rate_table: SharedTable
) -> None:
    """A worker's whole life (in a spawned process): the API over the shared socket."""
    from lookout.api.engine_link import EngineLink
    from lookout.api.ohdear.ratelimit_shared import SharedWindows
    from lookout.app import Store, create_app
    from lookout.logs import configure_logging
    from lookout.store.db import create_db_engine, make_session_factory

    configure_logging(settings.log_level, settings.log_format)
    _stop_with_parent(os.getppid())
    database = create_db_engine(settings.effective_database_url)  # migrated by the parent
    store = Store(database, make_session_factory(database))
    app = create_app(
        settings, store, engine_link=EngineLink(engine_socket), windows=SharedWindows(rate_table)
    )
    server = uvicorn.Server(uvicorn.Config(app, **uvicorn_options(settings)))
    server.run(sockets=[sock])


def _stop_with_parent(parent: int) -> None:
    """A worker whose parent was killed outright (no chance to stop it) stops too, so the
    port is free for the next `lookout serve`."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        log.warning("the engine's process (pid %s) is gone; this API worker stops", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="lookout-parent-watch", daemon=True).start()


class Workers:
    """Starts the API workers, starts again one that dies, stops them all."""

    def __init__(
        self,
        count: int,
        settings: Settings,
        sock: socket.socket,
        engine_socket: Path,
        parent_stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        # The workers answer the API only: the engine, outbox and failover run here.
        self._settings = settings.model_copy(
            update={"run_engine": False, "run_outbox": False, "run_failover": False}
        )
        self._sock = sock
        self._engine_socket = engine_socket
        # Rate limits count the same for a caller whichever worker answers it.
        self._rate_table = shared_table()
        self._slots: list[tuple[SpawnProcess, float] | None] = [None] * count
        self._stopping = threading.Event()
        # Ctrl-C reaches the workers with this process: a worker that stopped because the
        # whole of `lookout serve` is stopping is not started again.
        self._parent_stopping = parent_stopping
        self._watcher = threading.Thread(target=self._watch, name="lookout-api-workers", daemon=True)

    def _spawn(self, slot: int) -> None:
        process = _spawn.Process(
            target=run_api_worker,
            args=(self._settings, self._sock, self._engine_socket, self._rate_table),
            name=f"lookout-api-{slot}",
            daemon=False,
        )
        process.start()
        self._slots[slot] = (process, time.monotonic())
        log.info("API worker %s started (pid %s)", slot, process.pid)

    def start(self) -> None:
        for slot in range(len(self._slots)):
            self._spawn(slot)
        self._watcher.start()

    def pids(self) -> list[int]:
        return [entry[0].pid for entry in self._slots if entry is not None and entry[0].pid is not None]

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for slot, entry in enumerate(self._slots):
                if entry is None or entry[0].is_alive() or self._parent_stopping():
                    continue
                process, started = entry
                log.error(
                    "API worker %s (pid %s) exited with %s; starting another",
                    slot,
                    process.pid,
                    process.exitcode,
                )
                if time.monotonic() - started < RESTART_BACKOFF_SECONDS and self._stopping.wait(
                    RESTART_BACKOFF_SECONDS
                ):
                    return
                if not self._stopping.is_set() and not self._parent_stopping():
                    self._spawn(slot)

    def stop(self) -> None:
        """SIGTERM to every worker (each finishes its requests), then wait; kill a straggler."""
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        processes = [entry[0] for entry in self._slots if entry is not None]
        for process in processes:
            if process.is_alive():
                process.terminate()
        join_or_kill(processes, STOP_GRACE_SECONDS, "API worker")


# From how many monitors "auto" starts API workers (on 2 or more cores). One process at
# 100,000 monitors: list of 200 p50 64 ms, get p99 112 ms; with 2 workers 22 ms and 9.8 ms
# (`lookout bench scale`, 2 cores). At 10,000 one process meets the API's aims (list of
# 200 21 ms), and the workers would cost about 300 MB.
AUTO_WORKERS_FROM = 20_000
AUTO_WORKERS = 2


def api_workers_for(setting: int | Literal["auto"], monitors: int, cpus: int | None) -> int:
    """The API workers to start: the setting, or for "auto" two once the instance checks
    AUTO_WORKERS_FROM monitors on a machine with 2 or more cores, else none."""
    return _resolved(setting, AUTO_WORKERS, AUTO_WORKERS_FROM, monitors, cpus)


# From how many monitors "auto" starts a check process (on 2 or more cores). At 100,000
# monitors every 60 s on a slow day of 2 cores (`lookout bench scale`), 2 API workers: 885
# -> 1,112 checks a second (the engine's process was the ceiling at 1.07 cores), creates
# 108 -> 149 a second, CPU per check about the same. At 10,000 the engine is far from a
# core and the process only adds its messages: 1.03 -> 1.28 ms a check.
AUTO_CHECK_PROCESSES_FROM = 50_000


def check_processes_for(setting: int | Literal["auto"], monitors: int, cpus: int | None) -> int:
    """The check processes to start: the setting, or for "auto" one once the instance checks
    AUTO_CHECK_PROCESSES_FROM monitors on a machine with 2 or more cores, else none."""
    return _resolved(setting, 1, AUTO_CHECK_PROCESSES_FROM, monitors, cpus)


def _resolved(
    setting: int | Literal["auto"], count: int, from_monitors: int, monitors: int, cpus: int | None
) -> int:
    """A process count setting: as set, or for "auto" `count` from `from_monitors` monitors
    on 2 or more cores (one core has nothing to share out), else none."""
    if setting != "auto":
        return setting
    return count if monitors >= from_monitors and (cpus or 1) >= 2 else 0


def serve_with_api_workers(settings: Settings, store: Store, count: int) -> None:
    """Bind the public port, start `count` workers, and run the engine here until a signal.
    `store` is migrated: the workers do not migrate."""
    from lookout.app import create_engine_app

    sock = bind(settings.host, settings.port)
    private = Path(tempfile.mkdtemp(prefix="lookout-"))  # mode 0700: only this user connects
    engine_socket = private / "engine.sock"
    server: uvicorn.Server | None = None
    workers = Workers(count, settings, sock, engine_socket, lambda: server is not None and server.should_exit)
    try:
        workers.start()
        log.info(
            "%s API workers on %s:%s (pids %s)",
            count,
            settings.host,
            settings.port,
            workers.pids(),
        )

        def stop_workers() -> None:
            workers.stop()
            shutil.rmtree(private, ignore_errors=True)

        # The workers stop first (no new API requests), then the engine drains: from the
        # engine app's shutdown, since uvicorn ends this process by the signal it caught
        # (the `finally` below runs only when it returns).
        app = create_engine_app(settings, store, on_stop=stop_workers)
        # The workers log each request they answer; what they ask here would log it twice.
        internal = {**uvicorn_options(settings), "access_log": False}
        server = uvicorn.Server(uvicorn.Config(app, uds=str(engine_socket), **internal))
        server.run()
    finally:
        workers.stop()
        sock.close()
        shutil.rmtree(private, ignore_errors=True)
