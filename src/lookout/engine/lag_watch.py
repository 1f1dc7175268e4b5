"""Whether scheduled checks start on time: each stored run's lag (its start minus the time
it was due), counted per minute of the engine's clock, and the verdict the writer logs.

An engine that cannot keep up (too many monitors for the machine's cores) does not drop
checks: it runs the most overdue first, so every interval stretches. Nothing fails, which
is why it is easy to miss; the warning names the figures and what adds capacity. A short
backlog (a restart's overdue checks on an instance with room to spare) clears within a
minute or two by itself, so the engine is "behind" only after `minutes` whole minutes in a
row whose median lag is over `behind_seconds` (one of the bucket bounds), and on time again
after one whole minute whose median is not. An instance that needs longer to catch up after
a restart is reported: it has little capacity to spare.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

# Upper bounds (seconds) of the buckets a minute's lags are counted in (a bucket holds the
# lags above the bound before it); a quantile is known to its bucket, which is all a verdict
# in whole seconds needs.
BOUNDS: tuple[float, ...] = (0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, math.inf)


@dataclass(slots=True)
class MinuteLags:
    minute: int  # whole minutes since the epoch, on the engine's clock
    counts: list[int] = field(default_factory=lambda: [0] * len(BOUNDS))

    @property
    def runs(self) -> int:
        return sum(self.counts)

    def at_least(self, q: float) -> float:
        """The q-quantile is above this (0 when it lies in the first bucket)."""
        index = self._bucket(q)
        return 0.0 if index == 0 else BOUNDS[index - 1]

    def at_most(self, q: float) -> float:
        """The q-quantile is at most this (inf past the last finite bound)."""
        return BOUNDS[self._bucket(q)]

    def _bucket(self, q: float) -> int:
        wanted = max(1, math.ceil(q * self.runs))
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= wanted:
                return index
        return len(BOUNDS) - 1


@dataclass(frozen=True, slots=True)
class Verdict:
    level: int  # a logging level
    message: str


class LagWatch:
    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        behind_seconds: float = 10.0,
        minutes: int = 3,
        repeat_seconds: float = 900.0,
    ) -> None:
        self._clock = clock
        self.behind_seconds = behind_seconds
        self._minutes_needed = minutes
        self._repeat_minutes = max(1, round(repeat_seconds / 60))
        self._minutes: deque[MinuteLags] = deque(maxlen=minutes + 1)
        self._reviewed_minute: int | None = None
        self._warned_minute: int | None = None
        self.behind = False

    def observe(self, lags: Collection[float]) -> None:
        """Count the lags (seconds) of runs stored now."""
        if not lags:
            return  # a minute exists only once a run is counted in it
        counts = self._current().counts
        for lag in lags:
            counts[bisect_left(BOUNDS, lag)] += 1

    def last_minute(self) -> MinuteLags | None:
        """The last whole minute, if runs were stored in it."""
        whole = self._minute() - 1
        return next((m for m in reversed(self._minutes) if m.minute == whole), None)

    def review(self) -> Verdict | None:
        """Once a minute: what to log about the minutes that just ended, if anything."""
        now = self._minute()
        if self._reviewed_minute == now:
            return None
        self._reviewed_minute = now
        last = self.last_minute()
        if last is None or not self._late(last):
            if not self.behind:
                return None
            self.behind = False
            self._warned_minute = None
            # No run stored in a whole minute: nothing is known to be late (an idle
            # instance; an engine that stalls is /ready's scheduler check, not this one).
            if last is None:
                why = "no scheduled run stored in the last minute"
            else:
                why = f"median lag {last.at_most(0.5):g} s or less"
            return Verdict(logging.INFO, f"checks start on time again ({why})")
        wanted = range(now - self._minutes_needed, now)
        recent = [m for m in self._minutes if m.minute in wanted]
        if len(recent) < self._minutes_needed or not all(map(self._late, recent)):
            return None
        self.behind = True
        if self._warned_minute is not None and now - self._warned_minute < self._repeat_minutes:
            return None
        self._warned_minute = now
        return Verdict(
            logging.WARNING,
            f"checks start late: median lag over {last.at_least(0.5):g} s for {len(recent)} minutes "
            f"(p99 {_up_to(last.at_most(0.99))}, {last.runs} runs in the last minute): the engine is "
            "not keeping up with its schedule. If this lasts, add check processes "
            "(LOOKOUT_CHECK_PROCESSES) or `lookout worker` processes, or lengthen check intervals",
        )

    def _late(self, minute: MinuteLags) -> bool:
        return minute.at_least(0.5) >= self.behind_seconds

    def _minute(self) -> int:
        return int(self._clock().timestamp() // 60)

    def _current(self) -> MinuteLags:
        minute = self._minute()
        if not self._minutes or self._minutes[-1].minute != minute:
            self._minutes.append(MinuteLags(minute))
        return self._minutes[-1]


def _up_to(bound: float) -> str:
    return f"over {BOUNDS[-2]:g} s" if math.isinf(bound) else f"up to {bound:g} s"
