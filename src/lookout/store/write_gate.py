"""One SQLite writer at a time in this process, in the order they asked.

SQLite lets one connection write at a time; the others wait in its busy handler, which
sleeps and retries (1, 2, 5 ... 100 ms). The engine's database thread writes again the
moment its last commit ends, so a request that wants to write while the engine is busy
wakes into a held lock over and over: at 100,000 monitors, 8 clients created about 30
monitors a second. Here writers queue instead and each is handed the gate as the one
before it commits.

A transaction takes the gate at its first write, where SQLite takes its lock (reads run
outside SQLite's transaction on pysqlite), and gives it back when it ends
(`store.db.transaction`). SQLite's lock stays the truth: a write that slips past the gate
(another process, a nested transaction) meets the busy handler as before.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

_HANDED = -1  # the gate is on its way to the next waiter; no thread has this ident


class GateTimeoutError(TimeoutError):
    """The gate was not handed over in time (a writer held it longer than `timeout`)."""


class WriteGate:
    def __init__(self, timeout: float = 30.0) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._owner: int | None = None

    def owned(self) -> bool:
        return self._owner == threading.get_ident()

    def enter(self) -> None:
        """Hold the gate, waiting for the writers ahead; a no-op for its holder."""
        me = threading.get_ident()
        if self._owner != me:
            self._acquire(me)

    def leave(self) -> None:
        """Hand the gate to the next writer (its holder only)."""
        if self._owner == threading.get_ident():
            self._release()

    @contextmanager
    def held(self) -> Iterator[None]:
        owned = self.owned()
        self.enter()
        try:
            yield
        finally:
            if not owned:
                self.leave()

    def _acquire(self, me: int) -> None:
        with self._lock:
            if self._owner is None:
                self._owner = me
                return
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if not waiter.acquire(timeout=self._timeout):
            with self._lock:
                if waiter in self._waiters:  # not handed over: give up the place
                    self._waiters.remove(waiter)
                    raise GateTimeoutError(f"no turn to write within {self._timeout:g} s")
            waiter.acquire()  # handed over just as the wait ran out: it is ours
        self._owner = me

    def _release(self) -> None:
        with self._lock:
            if self._waiters:
                self._owner = _HANDED
                self._waiters.popleft().release()
            else:
                self._owner = None
