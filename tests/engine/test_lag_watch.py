"""The lag watch: when the engine is behind its schedule, and what it says (pure, on a clock
the test moves)."""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from datetime import UTC, datetime, timedelta

from lookout.engine.lag_watch import BOUNDS, LagWatch, MinuteLags


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def next_minute(self) -> None:
        self.now += timedelta(minutes=1)


def minutes_of(watch: LagWatch, clock: Clock, lags_per_minute: list[list[float]]) -> list[str]:
    """Each minute's lags observed, then the review a minute later: the messages logged."""
    said = []
    for lags in lags_per_minute:
        watch.observe(lags)
        clock.next_minute()
        verdict = watch.review()
        if verdict is not None:
            said.append(f"{logging.getLevelName(verdict.level)}: {verdict.message}")
    return said


def test_quantiles_are_known_to_their_bucket() -> None:
    minute = MinuteLags(0)
    for lag in [0.0] * 50 + [12.0] * 49 + [4000.0]:
        minute.counts[bisect_left(BOUNDS, lag)] += 1
    assert minute.runs == 100
    assert (minute.at_least(0.5), minute.at_most(0.5)) == (0.0, 0.1)
    assert (minute.at_least(0.51), minute.at_most(0.51)) == (10, 20)
    assert minute.at_most(0.99) == 20
    assert math.isinf(minute.at_most(1.0))


def test_a_restart_backlog_is_not_behind() -> None:
    clock = Clock()
    watch = LagWatch(clock)
    # Two minutes of overdue checks after a start, then on time.
    said = minutes_of(watch, clock, [[45.0] * 100, [25.0] * 100, [0.2] * 100, [0.1] * 100])
    assert said == []
    assert not watch.behind


def test_three_late_minutes_warn_once_then_again_after_the_repeat_period() -> None:
    clock = Clock()
    watch = LagWatch(clock, repeat_seconds=600)
    said = minutes_of(watch, clock, [[15.0] * 90 + [0.5] * 10] * 3)
    assert watch.behind
    assert len(said) == 1 and said[0].startswith(
        "WARNING: checks start late: median lag over 10 s for 3 minutes"
    )
    assert "p99 up to 20 s, 100 runs in the last minute" in said[0]
    assert "LOOKOUT_CHECK_PROCESSES" in said[0]
    # Still behind: quiet for the rest of the ten minutes, then said again.
    assert minutes_of(watch, clock, [[15.0] * 100] * 9) == []
    again = minutes_of(watch, clock, [[400.0] * 100])
    assert len(again) == 1 and "median lag over 300 s" in again[0]


def test_one_minute_on_time_ends_it() -> None:
    clock = Clock()
    watch = LagWatch(clock)
    minutes_of(watch, clock, [[30.0] * 10] * 3)
    assert watch.behind
    said = minutes_of(watch, clock, [[0.3] * 10])
    assert said == ["INFO: checks start on time again (median lag 0.5 s or less)"]
    assert not watch.behind
    # And it takes three late minutes again to say it again.
    assert minutes_of(watch, clock, [[30.0] * 10] * 2) == []
    assert len(minutes_of(watch, clock, [[30.0] * 10])) == 1


def test_a_minute_with_nothing_due_ends_it() -> None:
    clock = Clock()
    watch = LagWatch(clock)
    minutes_of(watch, clock, [[30.0] * 10] * 3)
    assert watch.behind
    # Every monitor deleted, say: a whole minute stores nothing, and the review after the
    # next stored run (a new monitor's first) ends it.
    said = minutes_of(watch, clock, [[], [0.2]])
    assert said == ["INFO: checks start on time again (no scheduled run stored in the last minute)"]
    assert not watch.behind


def test_a_minute_without_runs_breaks_the_row() -> None:
    clock = Clock()
    watch = LagWatch(clock)
    said = minutes_of(watch, clock, [[30.0], [30.0], [], [30.0], [30.0]])
    assert said == [] and not watch.behind
    assert watch.last_minute() is not None and watch.last_minute().runs == 1  # type: ignore[union-attr]


def test_the_median_decides_not_the_tail() -> None:
    clock = Clock()
    watch = LagWatch(clock)
    # Half of every minute on time, half very late (a slow pool): median on time.
    said = minutes_of(watch, clock, [[0.1] * 50 + [120.0] * 50] * 5)
    assert said == [] and not watch.behind


def test_reviewed_once_a_minute() -> None:
    clock = Clock()
    watch = LagWatch(clock)
    minutes_of(watch, clock, [[30.0] * 10] * 2)
    watch.observe([30.0] * 10)
    clock.next_minute()
    assert watch.review() is not None
    assert watch.review() is None  # the same minute again: nothing new
