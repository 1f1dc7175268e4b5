"""Runs the engine's blocking database work off the event loop, one transaction per call.

One thread by default: with SQLite that serialises the scheduler's claims and the
writer's batches instead of letting them fight over the write lock.

On SQLite the engine's connections get a larger page cache and never checkpoint the WAL
themselves: a checkpointer thread on its own connection does it (PASSIVE: it never blocks
a writer) once a second. The database thread is the engine's bottleneck at 100,000
monitors; a checkpoint inside its commits cost it about 7% of its time, and on the
checkpointer's thread SQLite does that work on the other core (it releases the GIL).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from lookout.store.db import transaction

T = TypeVar("T")
log = logging.getLogger(__name__)
CHECKPOINT_EVERY_SECONDS = 1.0


class Database:
    def __init__(self, factory: sessionmaker[Session], threads: int = 1) -> None:
        self.factory = factory
        bind = factory.kw.get("bind")
        self.dialect = bind.dialect.name if bind is not None else "unknown"
        self._sqlite = self.dialect == "sqlite"
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lookout-db")
        self._checkpointer: _Checkpointer | None = _Checkpointer(factory) if self._sqlite else None

    async def run(self, work: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, work)

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        with transaction(self.factory) as session:
            if self._sqlite:
                _tune(session)
            return work(session)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None


_SQLITE_PRAGMAS = ("PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 0")


def _tune(session: Session) -> None:
    connection = session.connection()
    if connection.info.get("lookout_engine_tuned"):
        return
    for pragma in _SQLITE_PRAGMAS:
        connection.exec_driver_sql(pragma)
    connection.info["lookout_engine_tuned"] = True


class _Checkpointer:
    """Copies the WAL back into the database file from its own thread and connection."""

    def __init__(self, factory: sessionmaker[Session], every: float = CHECKPOINT_EVERY_SECONDS) -> None:
        self._factory = factory
        self._every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lookout-db-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            try:
                with self._factory() as session:
                    session.connection().exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:
                log.exception("WAL checkpoint failed")

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
