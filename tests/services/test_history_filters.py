"""Period counting and the Laravel-style filter checks behind the history endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lookout.model import periods
from lookout.services import filters


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


def test_dates_are_compact_utc() -> None:
    errors: filters.Errors = {}
    assert filters.date(errors, "filter.start", "20260317003000", required=True) == utc(2026, 3, 17, 0, 30)
    assert filters.date(errors, "filter.end", None, required=False) is None
    assert errors == {}
    for bad in ("2026-03-17", "20260230000000", "2026031700300", "2026031700300x"):
        found: filters.Errors = {}
        assert filters.date(found, "filter.start", bad, required=True) is None
        assert found == {"filter.start": ["The filter.start field must match the format YmdHis."]}


def test_choice_and_caps() -> None:
    errors: filters.Errors = {}
    assert filters.choice(errors, "filter.group_by", None, ("minute", "hour"), default="minute") == "minute"
    assert filters.choice(errors, "split", None, ("hour",), default=None) is None
    assert filters.choice(errors, "filter.group_by", "year", ("minute",), default="minute") is None
    assert errors == {
        "split": ["The split field is required."],
        "filter.group_by": ["The selected filter.group by is invalid."],
    }
    capped: filters.Errors = {}
    filters.capped(capped, "split", utc(2026, 1, 1), utc(2026, 1, 1, 2), "minute", 120, "go bigger")
    assert capped == {"split": ["The period holds more than 120 minutes; go bigger."]}
