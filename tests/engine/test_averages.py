"""Recent averages are read once per check and minute, not once per run."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from lookout.engine.averages import AverageBook

T0 = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)


class Reads:
    def __init__(self, values: dict[int, float]) -> None:
        self.values = values
        self.asked: list[tuple[set[int], datetime]] = []

    def __call__(self, session: Any, ids: Collection[int], since: datetime) -> dict[int, float]:
        self.asked.append((set(ids), since))
        return {cid: self.values[cid] for cid in ids if cid in self.values}


def test_only_unknown_or_old_averages_are_read() -> None:
    book = AverageBook(timedelta(minutes=15), timedelta(seconds=60))
    reads = Reads({1: 100.0, 2: 200.0})
    assert book.averages(None, {1, 2, 3}, T0, reads) == {1: 100.0, 2: 200.0}
    assert reads.asked == [({1, 2, 3}, T0 - timedelta(minutes=15))]
    reads.values = {1: 150.0, 2: 250.0, 3: 50.0}
    assert book.averages(None, {1, 2, 3}, T0 + timedelta(seconds=59), reads) == {1: 100.0, 2: 200.0}
    assert len(reads.asked) == 1
    assert book.averages(None, {1, 4}, T0 + timedelta(seconds=61), reads) == {1: 150.0}
    assert reads.asked[-1][0] == {1, 4}


def test_a_clock_that_went_back_reads_again() -> None:
    book = AverageBook(timedelta(minutes=15), timedelta(seconds=60))
    reads = Reads({1: 100.0})
    book.averages(None, {1}, T0, reads)
    book.averages(None, {1}, T0 - timedelta(seconds=5), reads)
    assert len(reads.asked) == 2
