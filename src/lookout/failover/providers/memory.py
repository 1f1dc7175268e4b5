"""A provider that keeps RRsets in a dict: for tests and for trying the policy out."""

from __future__ import annotations

from lookout.failover.base import ChangeSet, RecordSet, normalise_name


class MemoryProvider:
    name = "memory"

    def __init__(self) -> None:
        self.sets: dict[tuple[str, str], RecordSet] = {}
        self.applied: list[ChangeSet] = []

    async def apply(self, change: ChangeSet) -> None:
        self.applied.append(change)
        for record_set in change.sets:
            if record_set.values:
                self.sets[record_set.key] = record_set
            else:
                self.sets.pop(record_set.key, None)

    async def read(self, zone: str, name: str, rtype: str) -> RecordSet | None:
        return self.sets.get((normalise_name(name), rtype.upper()))
