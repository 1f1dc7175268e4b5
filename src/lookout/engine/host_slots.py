"""How many checks run against each target host right now, and how many more may start.

The queue asks before it hands out a host's job, so a runner never holds a job it cannot
start; a host's entry goes away with its last running check. Keys are (team, host): a
team's slow monitors on a host must not hold back another team's checks of that host.
"""

from __future__ import annotations

from collections.abc import Hashable


class HostSlots:
    def __init__(self, per_host: int) -> None:
        self._per_host = max(per_host, 1)
        self._busy: dict[Hashable, int] = {}

    def free(self, host: Hashable) -> int:
        return self._per_host - self._busy.get(host, 0)

    def hold(self, host: Hashable) -> None:
        self._busy[host] = self._busy.get(host, 0) + 1

    def release(self, host: Hashable) -> None:
        left = self._busy[host] - 1
        if left:
            self._busy[host] = left
        else:
            del self._busy[host]

    def __len__(self) -> int:
        return len(self._busy)
