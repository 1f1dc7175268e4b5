"""How hard a crawl may press on one host: the crawler speeds of Oh Dear (A5), plus
`unlimited` for crawling a site of one's own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Politeness:
    """At most `concurrency` requests to one host at once, starts `delay_s` apart."""

    concurrency: int
    delay_s: float


SPEEDS: dict[str, Politeness] = {
    "slowest": Politeness(1, 1.0),
    "slow": Politeness(1, 0.5),
    "default": Politeness(2, 0.25),
    "fast": Politeness(2, 0.25),
    "fastest": Politeness(4, 0.1),
    "unlimited": Politeness(32, 0.0),
}


def politeness(speed: str) -> Politeness:
    return SPEEDS.get(speed, SPEEDS["default"])
