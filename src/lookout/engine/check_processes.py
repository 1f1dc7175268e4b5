"""Checks run in child processes, so the engine is more than one interpreter lock of CPU.

An engine process runs its Python under one interpreter lock: at 100,000 monitors it is
busy about a core, and about a quarter of that is running the checks (curl's sockets, the
target guard, building results; the rest is mostly the writer, docs/ARCHITECTURE.md). With
`check_processes` = N the engine starts N processes that only run checks. The engine keeps
the schedule, the queue, the runner's slots, budgets and heartbeats, and the writer; a
check process gets a job, runs its check with a CheckContext of its own (built from the
settings, as the engine's is) and sends the result back. Only check types that need
nothing but that context go there (`Check.portable`); the others run in the engine.

Frames on a socket pair made for each child: a 4-byte length and a pickle. Both ends are
this program and nobody else holds the socket, so unpickling is safe. Frames written in one
turn of the event loop leave in one send.

A child that dies is started again (after a pause if it died young), and the checks it was
running run in the engine instead: a lost process never turns into a failed check.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
import time
from collections.abc import Callable, Mapping
from functools import partial
from multiprocessing.context import SpawnProcess
from typing import Any

from lookout import metrics
from lookout.checks.base import AnyCheck, Check, CheckContext
from lookout.checks.registry import CHECKS, runnable
from lookout.children import join_or_kill
from lookout.engine.queue.base import Job
from lookout.engine.runner import CheckCrashedError, run_check
from lookout.engine.settings_cache import SettingsCache
from lookout.model.check_type import CheckType
from lookout.model.result import CheckResult

log = logging.getLogger(__name__)

multiprocessing.allow_connection_pickling()  # the child's end of the pair goes as an argument
_spawn = multiprocessing.get_context("spawn")

_LENGTH = struct.Struct(">I")
MAX_FRAME_BYTES = 64 * 1024 * 1024
# A process that dies sooner than this after its start waits this long before the next.
RESTART_BACKOFF_SECONDS = 5.0
STOP_GRACE_SECONDS = 10.0
# The child's own cut, past the runner's budget: the runner's timeout normally comes first,
# this one only keeps a child from running a check nobody waits for.
CHILD_MARGIN_SECONDS = 1.0
# As the engine's (EngineSettings.gc_threshold): a check allocates a few hundred objects.
CHILD_GC_THRESHOLD = 100_000

# Engine -> child: (_RUN, id, job, budget) or (_CANCEL, id, None, 0.0).
_RUN, _CANCEL = 0, 1
# Child -> engine: (kind, id, result | exception type name | None).
_DONE, _TIMED_OUT, _CRASHED = 0, 1, 2
_COUNTED = {
    kind: metrics.CHECK_PROCESS_RUNS.labels(name)
    for kind, name in ((_DONE, "done"), (_TIMED_OUT, "timed_out"), (_CRASHED, "crashed"))
}


def portable_types(checks: Mapping[CheckType, AnyCheck]) -> frozenset[str]:
    """The check types a check process may run."""
    return frozenset(
        kind.value for kind, check in checks.items() if isinstance(check, Check) and check.portable
    )


class _Channel:
    """Length-prefixed pickles over a connected stream socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._out = bytearray()
        self._flush_due = False

    def send(self, message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._out += _LENGTH.pack(len(data))
        self._out += data
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        if self._out and not self._writer.is_closing():
            self._writer.write(bytes(self._out))
        self._out.clear()

    async def receive(self) -> tuple[Any, ...] | None:
        """The next message; None when the other end closed."""
        try:
            head = await self._reader.readexactly(_LENGTH.size)
            (size,) = _LENGTH.unpack(head)
            if size > MAX_FRAME_BYTES:
                raise ValueError(f"a {size}-byte frame is over the limit")
            message: tuple[Any, ...] = pickle.loads(await self._reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        return message

    def close(self) -> None:
        self._flush()
        self._writer.close()


class _Child:
    __slots__ = ("slot", "process", "channel", "started", "pending", "alive", "reading")

    def __init__(self, slot: int, process: SpawnProcess, channel: _Channel) -> None:
        self.slot = slot
        self.process = process
        self.channel = channel
        self.started = time.monotonic()
        self.pending: dict[int, asyncio.Future[tuple[int, Any]]] = {}
        self.alive = True
        self.reading: asyncio.Task[None] | None = None


class _LostError(Exception):
    """The child running the check died before answering."""


class CheckProcesses:
    """N check processes and the runner's way to them (runner.Executor)."""

    def __init__(
        self,
        count: int,
        context_factory: Callable[[], CheckContext],
        types: frozenset[str],
        setup_logging: Callable[[], None] | None = None,
        restart_backoff: float = RESTART_BACKOFF_SECONDS,
    ) -> None:
        if count < 1:
            raise ValueError("check processes start from one")
        self._count = count
        self._context_factory = context_factory
        self._types = types
        self._setup_logging = setup_logging
        self._restart_backoff = restart_backoff
        self._children: dict[int, _Child] = {}
        # The children running now, kept as they start and die: the runner asks per job.
        self._live: list[_Child] = []
        self._next_id = 0
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None

    def takes(self, job: Job) -> bool:
        return bool(self._live) and job.check_type in self._types

    def pids(self) -> list[int]:
        return [child.process.pid for child in self._live if child.process.pid is not None]

    async def start(self) -> None:
        for slot in range(self._count):
            await self._start_child(slot)
        self._supervisor = asyncio.create_task(self._supervise(), name="lookout-check-processes")

    async def _start_child(self, slot: int) -> None:
        ours, theirs = socket.socketpair()
        process = _spawn.Process(
            target=serve_checks,
            args=(theirs, self._context_factory, self._setup_logging),
            name=f"lookout-checks-{slot}",
            daemon=True,
        )
        try:
            await asyncio.to_thread(process.start)
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours)
        child = _Child(slot, process, _Channel(reader, writer))
        child.reading = asyncio.create_task(self._read(child), name=f"lookout-checks-{slot}-read")
        self._children[slot] = child
        self._live.append(child)
        log.info("check process %s started (pid %s)", slot, process.pid)

    async def _read(self, child: _Child) -> None:
        try:
            while (message := await child.channel.receive()) is not None:
                kind, ident, payload = message
                future = child.pending.pop(ident, None)
                if future is not None and not future.done():
                    future.set_result((kind, payload))
        except Exception:
            log.exception("reading from check process %s failed", child.slot)
        finally:
            child.alive = False
            if child in self._live:
                self._live.remove(child)
            for future in child.pending.values():
                if not future.done():
                    future.set_exception(_LostError())
            child.pending.clear()
            child.channel.close()

    async def _supervise(self) -> None:
        while not self._stopping:
            await asyncio.sleep(1.0)
            for slot, child in list(self._children.items()):
                if child.alive:  # its socket closes when it exits
                    continue
                await asyncio.to_thread(child.process.join, 1.0)
                log.error(
                    "check process %s (pid %s) exited with %s; starting another",
                    slot,
                    child.process.pid,
                    child.process.exitcode,
                )
                if time.monotonic() - child.started < self._restart_backoff:
                    await asyncio.sleep(self._restart_backoff)
                if self._stopping:
                    return
                try:
                    await self._start_child(slot)
                except Exception:
                    log.exception("starting check process %s failed", slot)
                    await asyncio.sleep(self._restart_backoff)

    async def run(self, job: Job, budget: float) -> CheckResult | None:
        """The job's result from a check process; None when none could run it (its process
        died): the runner then runs it itself."""
        if not self._live:
            return None
        child = min(self._live, key=lambda c: len(c.pending))
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        child.pending[ident] = future
        child.channel.send((_RUN, ident, job, budget + CHILD_MARGIN_SECONDS))
        try:
            kind, payload = await future
        except _LostError:
            metrics.CHECK_PROCESS_RUNS.labels("lost").inc()
            log.warning("check %s was running in a process that died; it runs here", job.check_id)
            return None
        except asyncio.CancelledError:
            if child.pending.pop(ident, None) is not None and child.alive:
                child.channel.send((_CANCEL, ident, None, 0.0))
            raise
        _COUNTED[kind].inc()
        if kind == _DONE:
            result: CheckResult = payload
            return result
        if kind == _TIMED_OUT:
            raise TimeoutError
        raise CheckCrashedError(str(payload))

    async def stop(self) -> None:
        """Close every child's socket (each cancels what it runs and exits), then wait."""
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        children = list(self._children.values())
        for child in children:
            child.channel.close()
        for child in children:
            if child.reading is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await child.reading
        processes = [child.process for child in children]
        await asyncio.to_thread(join_or_kill, processes, STOP_GRACE_SECONDS, "check process")
        self._children.clear()


# -- the child ---------------------------------------------------------------------------


def serve_checks(
    sock: socket.socket,
    context_factory: Callable[[], CheckContext],
    setup_logging: Callable[[], None] | None,
) -> None:
    """A check process's whole life: run the jobs the engine sends until it closes the
    socket (or dies: the kernel closes it then)."""
    if setup_logging is not None:
        setup_logging()
    # Ctrl-C reaches the whole process group: the engine drains, then closes the socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.set_threshold(CHILD_GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(_serve(sock, context_factory))
    else:
        uvloop.run(_serve(sock, context_factory))


async def _serve(sock: socket.socket, context_factory: Callable[[], CheckContext]) -> None:
    ctx = context_factory()
    checks = runnable(CHECKS)
    cache = SettingsCache(CHECKS)
    reader, writer = await asyncio.open_connection(sock=sock)
    channel = _Channel(reader, writer)
    running: dict[int, asyncio.Task[None]] = {}
    gc.freeze()
    while (message := await channel.receive()) is not None:
        kind, ident, job, budget = message
        if kind == _CANCEL:
            task = running.pop(ident, None)
            if task is not None:
                task.cancel()
            continue
        task = asyncio.create_task(_answer(channel, checks, cache, ctx, ident, job, budget))
        running[ident] = task
        task.add_done_callback(partial(_forget, running, ident))
    for task in list(running.values()):
        task.cancel()
    if running:
        await asyncio.gather(*running.values(), return_exceptions=True)
    channel.close()


def _forget(running: dict[int, asyncio.Task[None]], ident: int, _: object) -> None:
    running.pop(ident, None)


async def _answer(
    channel: _Channel,
    checks: Mapping[CheckType, Check[Any]],
    cache: SettingsCache,
    ctx: CheckContext,
    ident: int,
    job: Job,
    budget: float,
) -> None:
    try:
        async with asyncio.timeout(budget):
            result = await run_check(checks, cache, ctx, job)
        channel.send((_DONE, ident, result))
    except TimeoutError:
        channel.send((_TIMED_OUT, ident, None))
    except Exception as exc:
        log.exception("check %s (%s) crashed", job.check_id, job.check_type)
        channel.send((_CRASHED, ident, type(exc).__name__))
