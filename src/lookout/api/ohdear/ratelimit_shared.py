"""Rate-limit windows shared by the API workers of one `lookout serve` (`workers.py`) when
there is no Redis: a fixed table in memory the workers share, made by the process that
starts them.

A slot holds a key's 64-bit hash, its window's end and its count. A key lives in one of
`PROBES` slots from its hash's position; a slot whose window has ended is free. When all
of them are live (more than `SLOTS` callers within a minute, crowded at one spot), the one
ending soonest is taken over: its caller starts a new window. The hash is keyed with a
secret made at start, so a caller cannot pick addresses that crowd its own token's slot
to have its window taken over (and its budget renewed) early. No lock: a worker killed
while holding one would stop every other. Two workers counting the same key in the same
microseconds may lose one of the two hits, which a limit of hundreds a minute does not feel.
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SLOTS = 65_536  # 1.5 MB
PROBES = 32


class Slot(ctypes.Structure):
    _fields_ = (("key", ctypes.c_uint64), ("ends", ctypes.c_double), ("count", ctypes.c_uint64))


@dataclass(frozen=True)
class SharedTable:
    """The slots, in memory a spawned worker shares when this is passed as its argument,
    and the hash's secret."""

    slots: Any
    secret: bytes


def shared_table(size: int = SLOTS) -> SharedTable:
    return SharedTable(multiprocessing.get_context("spawn").RawArray(Slot, size), secrets.token_bytes(32))


class SharedWindows:
    """`MemoryWindows`' windows (one opens at a key's first request and lasts `seconds`),
    counted in `table` by every process that has it."""

    def __init__(self, table: SharedTable, clock: Callable[[], float] = time.time) -> None:
        self._table = table.slots
        self._secret = table.secret
        self._size = len(table.slots)
        self._clock = clock

    def _hash(self, key: str) -> int:
        digest = hashlib.blake2b(key.encode(), digest_size=8, key=self._secret).digest()
        return int.from_bytes(digest, "little") or 1  # never 0: a slot never used

    async def hit(self, key: str, seconds: int) -> tuple[int, float]:
        wanted, now = self._hash(key), self._clock()
        table, start = self._table, wanted % self._size
        free: Slot | None = None
        soonest: Slot | None = None
        for step in range(PROBES):
            slot = table[(start + step) % self._size]
            if slot.key == wanted:
                if slot.ends <= now:
                    slot.ends, slot.count = now + seconds, 0
                slot.count += 1
                return int(slot.count), float(slot.ends)
            if free is None and (slot.key == 0 or slot.ends <= now):
                free = slot
            if soonest is None or slot.ends < soonest.ends:
                soonest = slot
        taken = free if free is not None else soonest
        assert taken is not None
        taken.key, taken.ends, taken.count = wanted, now + seconds, 1
        return 1, float(taken.ends)

    async def aclose(self) -> None:
        return None
