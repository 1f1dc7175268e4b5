"""The history endpoints' query-string filters, checked with Laravel's keys and messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from lookout.api.ohdear import filters
from lookout.errors import ValidationFailed
from lookout.services.history import TooManyPeriods


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def errors_of(parse: Callable[..., object], *args: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse(*args)
    return caught.value.errors


def test_dates_are_compact_utc() -> None:
    errors: filters.Errors = {}
    assert filters.date(errors, "filter.start", "20260317003000", required=True) == utc(2026, 3, 17, 0, 30)
    assert filters.date(errors, "filter.end", None, required=False) is None
    assert errors == {}
    for bad in ("2026-03-17", "20260230000000", "2026031700300", "2026031700300x"):
        found: filters.Errors = {}
        assert filters.date(found, "filter.start", bad, required=True) is None
        assert found == {"filter.start": ["The filter.start field must match the format YmdHis."]}


def test_choices() -> None:
    errors: filters.Errors = {}
    assert filters.choice(errors, "filter.group_by", None, ("minute", "hour"), default="minute") == "minute"
    assert filters.choice(errors, "filter.result", "", ("failed",)) is None
    assert filters.choice(errors, "split", None, ("hour",), required=True) is None
    assert filters.choice(errors, "filter.group_by", "year", ("minute",), default="minute") is None
    assert filters.choice(errors, "split", "day", ("hour", "day")) == "day"
    assert errors == {
        "split": ["The split field is required."],
        "filter.group_by": ["The selected filter.group by is invalid."],
    }


def test_filters_come_out_typed() -> None:
    runs = filters.runs_filter({"filter[started_after]": "20260105010000", "filter[result]": "failed"})
    assert runs == filters.RunsFilter(utc(2026, 1, 5, 1), None, "failed")
    assert filters.runs_filter({"filter[result]": ""}) == filters.RunsFilter(None, None, None)
    uptime = filters.uptime_filter(
        {"filter[started_at]": "20260101000000", "filter[ended_at]": "20260102000000", "filter[split]": "day"}
    )
    assert uptime == filters.UptimeFilter(utc(2026, 1, 1), utc(2026, 1, 2), "day")
    assert filters.downtime_filter({}) == filters.DowntimeFilter(None, None)


def test_every_broken_rule_is_reported_at_once() -> None:
    assert errors_of(
        filters.uptime_filter,
        {"filter[started_at]": "20260102000000", "filter[ended_at]": "20260101000000", "split": "week"},
    ) == {
        "split": ["The selected split is invalid."],
        "filter.ended_at": ["The filter.ended at field must be a date after or equal to filter.started at."],
    }
    assert errors_of(
        filters.runs_filter, {"filter[started_after]": "yesterday", "filter[result]": "errored-or-timed-out"}
    ) == {
        "filter.started_after": ["The filter.started after field must match the format YmdHis."],
        "filter.result": ["The selected filter.result is invalid."],
    }


def test_metric_bounds_are_compared_as_the_service_clamps_them() -> None:
    now = utc(2026, 3, 1)

    def window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
        return min(start, now), min(end, now)

    future = {"filter[start]": "20270102000000", "filter[end]": "20270101000000"}
    assert filters.metrics_filter(future, window) == filters.MetricsFilter(now, now, "minute")
    past = {"filter[start]": "20260102000000", "filter[end]": "20260101000000", "filter[group_by]": "year"}
    assert errors_of(filters.metrics_filter, past, window) == {
        "filter.group_by": ["The selected filter.group by is invalid."],
        "filter.end": ["The filter.end field must be a date after or equal to filter.start."],
    }


def test_the_services_period_limit_in_this_apis_words() -> None:
    refused = filters.period_limit(TooManyPeriods("split", 120, "minute"), "split", "go bigger")
    assert refused.errors == {"split": ["The period holds more than 120 minutes; go bigger."]}
