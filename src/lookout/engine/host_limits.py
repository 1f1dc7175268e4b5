"""At most N checks at once against one host, first come first served.

A slimmer asyncio.Semaphore per host: in Python 3.11 `Semaphore.acquire` scans its whole
waiter list on every call, and with thousands of monitors on a few hosts the lists are long.
A released slot is handed straight to the oldest waiter, and a host's entry goes away with
its last user.
"""

from __future__ import annotations

import asyncio
from collections import deque


class _Host:
    __slots__ = ("free", "users", "waiters")

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.users = 0  # holding or waiting
        self.waiters: deque[asyncio.Future[None]] = deque()


class HostLimits:
    def __init__(self, per_host: int) -> None:
        self._per_host = max(per_host, 1)
        self._hosts: dict[str, _Host] = {}

    def __len__(self) -> int:
        return len(self._hosts)

    async def acquire(self, host: str) -> None:
        entry = self._hosts.get(host)
        if entry is None:
            entry = self._hosts[host] = _Host(self._per_host)
        entry.users += 1
        if entry.free > 0 and not entry.waiters:
            entry.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry.waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(host)  # a slot was handed over as we were cancelled: pass it on
            else:
                entry.waiters.remove(waiter)
                self._leave(host, entry)
            raise

    def release(self, host: str) -> None:
        entry = self._hosts[host]
        while entry.waiters:
            waiter = entry.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break
        else:
            entry.free += 1
        self._leave(host, entry)

    def _leave(self, host: str, entry: _Host) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._hosts[host]
