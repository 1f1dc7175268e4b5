"""Runs the engine's blocking database work off the event loop, one transaction per call.

One thread by default: with SQLite that serialises the scheduler's claims and the
writer's batches instead of letting them fight over the write lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from lookout.store.db import transaction

T = TypeVar("T")


class Database:
    def __init__(self, factory: sessionmaker[Session], threads: int = 1) -> None:
        self.factory = factory
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lookout-db")

    async def run(self, work: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, work)

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        with transaction(self.factory) as session:
            return work(session)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
