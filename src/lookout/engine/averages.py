"""Recent average response times of performance checks, re-read at most once a minute each.

The performance judge compares a run with the check's average over the last 15 minutes.
Reading that average for every run costs one index walk over every run in the window
(180 of them at a 5-second interval); an average a minute old is as good a baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

Reader = Callable[[Session, Collection[int], datetime], dict[int, float]]


class AverageBook:
    def __init__(self, window: timedelta, max_age: timedelta, max_entries: int = 200_000) -> None:
        self._window = window
        self._max_age = max_age
        self._max = max_entries
        self._entries: dict[int, tuple[float | None, datetime]] = {}

    def averages(
        self, session: Session, check_ids: Collection[int], now: datetime, read: Reader
    ) -> dict[int, float]:
        """check id → average total_ms; `read(session, ids, since)` fetches the stale ones."""
        stale = [cid for cid in check_ids if self._stale(cid, now)]
        if stale:
            fresh = read(session, stale, now - self._window)
            if len(self._entries) + len(stale) > self._max:
                self._entries.clear()
            for cid in stale:
                self._entries[cid] = (fresh.get(cid), now)
        out: dict[int, float] = {}
        for cid in check_ids:
            entry = self._entries.get(cid)
            if entry is not None and entry[0] is not None:
                out[cid] = entry[0]
        return out

    def _stale(self, check_id: int, now: datetime) -> bool:
        entry = self._entries.get(check_id)
        return entry is None or not (timedelta(0) <= now - entry[1] < self._max_age)
