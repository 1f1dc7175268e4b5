"""What changed between the findings stored for a check and the ones a run just reported.

The one place "new since last time" and "fixed" are computed, for every check type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lookout.model.result import Finding

MAX_KEY_LENGTH = 512


class DiffKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class FindingsDiff:
    new: list[Finding] = field(default_factory=list)
    changed: list[Finding] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def kinds(self) -> frozenset[DiffKind]:
        present = set()
        if self.new:
            present.add(DiffKind.NEW)
        if self.changed:
            present.add(DiffKind.CHANGED)
        if self.resolved:
            present.add(DiffKind.RESOLVED)
        return frozenset(present)

    def describe(self, noun: str) -> str:
        """ "2 new broken links, 1 fixed" — the reason of a `changed` state change."""
        parts = []
        if self.new:
            parts.append(f"{len(self.new)} new {_plural(noun, len(self.new))}")
        if self.changed:
            parts.append(f"{len(self.changed)} {_plural(noun, len(self.changed))} changed")
        if self.resolved:
            parts.append(f"{len(self.resolved)} fixed")
        return ", ".join(parts) or f"no {noun} changed"

    def as_details(self, limit: int = 20) -> dict[str, Any]:
        """A bounded summary for the state change row: counts and the first keys."""
        return {
            "new": [finding.key for finding in self.new[:limit]],
            "changed": [finding.key for finding in self.changed[:limit]],
            "resolved": self.resolved[:limit],
            "counts": {"new": len(self.new), "changed": len(self.changed), "resolved": len(self.resolved)},
        }


def diff(previous: Mapping[str, Mapping[str, Any]], current: Sequence[Finding]) -> FindingsDiff:
    """`previous`: key → payload of the findings still open; `current`: this run's findings.

    A key reported twice in one run counts once (the last payload wins).
    """
    latest: dict[str, Finding] = {}
    for finding in current:
        if len(finding.key) > MAX_KEY_LENGTH:
            finding = Finding(finding.key[:MAX_KEY_LENGTH], finding.payload)
        latest[finding.key] = finding
    result = FindingsDiff()
    for key, finding in latest.items():
        before = previous.get(key)
        if before is None:
            result.new.append(finding)
        elif dict(before) != dict(finding.payload):
            result.changed.append(finding)
        else:
            result.unchanged.append(key)
    result.resolved.extend(key for key in previous if key not in latest)
    return result


def _plural(noun: str, count: int) -> str:
    return noun if count == 1 else f"{noun}s"
