"""How many checks run against each target host right now, and how many more may start.

The queue asks `free(host)` before it hands out a host's job, so a runner never holds a
job it cannot start; a host's entry goes away with its last running check.
"""

from __future__ import annotations


class HostSlots:
    def __init__(self, per_host: int) -> None:
        self._per_host = max(per_host, 1)
        self._busy: dict[str, int] = {}

    def free(self, host: str) -> int:
        return self._per_host - self._busy.get(host, 0)

    def hold(self, host: str) -> None:
        self._busy[host] = self._busy.get(host, 0) + 1

    def release(self, host: str) -> None:
        left = self._busy[host] - 1
        if left:
            self._busy[host] = left
        else:
            del self._busy[host]

    def __len__(self) -> int:
        return len(self._busy)
