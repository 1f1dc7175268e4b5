"""The history service's own rules: period counting, the period limit, ordered ranges and
the clamp of metrics to now. All hold before any database work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy.exc
from sqlalchemy.orm import sessionmaker

from lookout.model import periods
from lookout.services import history
from lookout.services.tokens import Principal


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "unit", "expected"),
    [
        (utc(2026, 1, 1, 0, 0, 30), utc(2026, 1, 1, 0, 4, 59), "minute", 5),
        (utc(2026, 1, 1), utc(2026, 1, 1, 23, 59, 59), "hour", 24),
        (utc(2026, 1, 1), utc(2026, 1, 1), "day", 1),
        (utc(2026, 1, 7), utc(2026, 1, 12), "week", 2),  # a Wednesday to the next Monday
        (utc(2025, 11, 30), utc(2026, 2, 1), "month", 4),
        (utc(2026, 1, 2), utc(2026, 1, 1), "day", 0),
    ],
)
def test_count_periods(start: datetime, end: datetime, unit: str, expected: int) -> None:
    assert periods.count(start, end, unit) == expected


def test_a_range_may_hold_so_many_periods() -> None:
    history.limit_periods(utc(2026, 1, 1), utc(2026, 1, 1, 1, 59), "minute", 120, "group_by")
    with pytest.raises(history.TooManyPeriods) as caught:
        history.limit_periods(utc(2026, 1, 1), utc(2026, 1, 1, 2), "minute", 120, "group_by")
    assert (caught.value.argument, caught.value.limit, caught.value.unit) == ("group_by", 120, "minute")
    assert caught.value.errors == {"group_by": ["The period holds more than 120 minutes."]}


def test_a_range_must_not_end_before_it_starts() -> None:
    history.ensure_ordered(utc(2026, 1, 1), None, ("start", "end"))
    history.ensure_ordered(utc(2026, 1, 1), utc(2026, 1, 1), ("start", "end"))
    with pytest.raises(history.ReversedRange) as caught:
        history.ensure_ordered(utc(2026, 1, 2), utc(2026, 1, 1), ("start", "end"))
    assert caught.value.errors == {"end": ["The end must be a date after or equal to start."]}


def test_metrics_are_clamped_to_now_and_limited_before_the_monitor_is_read() -> None:
    now = utc(2026, 3, 1)
    # A session factory bound to nothing: any database work would fail.
    service = history.HistoryService(sessionmaker(), clock=lambda: now)
    assert service.metrics_window(utc(2026, 2, 1), utc(2027, 1, 1)) == (utc(2026, 2, 1), now)
    who = Principal(1, 1, "", "someone@example.test", ())
    # 2025-02-01 to now is 394 days, under the limit of 500; to 2099 it would not be.
    with pytest.raises(sqlalchemy.exc.UnboundExecutionError):
        service.metrics(who, 1, "http", utc(2025, 2, 1), utc(2099, 1, 1), "day")
    with pytest.raises(history.TooManyPeriods):
        service.metrics(who, 1, "http", utc(2024, 1, 1), utc(2099, 1, 1), "day")
    with pytest.raises(history.ReversedRange):
        service.uptime(who, 1, utc(2026, 1, 2), utc(2026, 1, 1), "day")
