"""robots.txt, read with the standard library's parser from a bounded body."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

MAX_ROBOTS_BYTES = 512 * 1024
ROBOTS_AGENT = "Lookout"


class Robots:
    """What robots.txt allows `ROBOTS_AGENT`; everything when there is none (4xx, an error)."""

    def __init__(self, body: str | None) -> None:
        self._parser: RobotFileParser | None = None
        if body:
            parser = RobotFileParser()
            parser.parse(body.splitlines())
            self._parser = parser

    def allows(self, url: str) -> bool:
        return self._parser is None or self._parser.can_fetch(ROBOTS_AGENT, url)

    @property
    def crawl_delay(self) -> float | None:
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(ROBOTS_AGENT)
        return None if delay is None else float(delay)
