"""Where a D-Monitor's points (DNSPod's `ctc`, `cuc`, ... or Lookout location names) are
checked from: `LOOKOUT_DMONITOR_POINTS` maps each to a location, and a point not listed is
this process's location. Pure: the failover consumer reads each point's verdict by it, and
the scheduler sends a failure's confirmation to a point's location by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PointMap:
    own_location: str = "local"
    # point -> location; a point not listed is checked from `own_location`.
    locations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, own_location: str, text: str | None) -> PointMap:
        """`LOOKOUT_DMONITOR_POINTS`: `ctc=beijing,cuc=shanghai` (point=location, comma-separated)."""
        locations: dict[str, str] = {}
        for pair in (text or "").split(","):
            point, sep, location = pair.partition("=")
            if sep and point.strip() and location.strip():
                locations[point.strip()] = location.strip()
        return cls(own_location, locations)

    def location_of(self, point: str) -> str:
        return self.locations.get(point, self.own_location)

    def points(self, text: str) -> list[str]:
        found = [part.strip() for part in text.split(",") if part.strip()]
        return found or [self.own_location]

    def only_own(self, points: Sequence[str]) -> bool:
        return all(self.location_of(point) == self.own_location for point in points)
