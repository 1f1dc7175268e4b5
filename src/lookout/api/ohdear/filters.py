"""The history endpoints' query-string filters, checked as Laravel checks a request.

Errors are keyed by the dotted names Laravel reports (`filter.started_at`) and carry its
messages; every broken rule of a request is reported at once. Dates are compact `YmdHis`
in UTC, as Oh Dear's clients send them. What comes out is typed for the history service,
whose own refusals (`TooManyPeriods`) `period_limit` words the Oh Dear way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from lookout.errors import ValidationFailed
from lookout.services.history import (
    FINISHED_RESULTS,
    GROUPINGS,
    SPLITS,
    GroupBy,
    RunResult,
    Split,
    TooManyPeriods,
)
from lookout.services.validation import attribute_name

DATE_FORMAT = "%Y%m%d%H%M%S"

Errors = dict[str, list[str]]
Params = Mapping[str, str]
Choice = TypeVar("Choice", bound=str)


@dataclass(frozen=True, slots=True)
class RunsFilter:
    started_after: datetime | None
    started_before: datetime | None
    result: RunResult | None


@dataclass(frozen=True, slots=True)
class UptimeFilter:
    started_at: datetime
    ended_at: datetime
    split: Split


@dataclass(frozen=True, slots=True)
class DowntimeFilter:
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class MetricsFilter:
    start: datetime
    end: datetime
    group_by: GroupBy


# -- the endpoints' filters ----------------------------------------------------------------


def runs_filter(params: Params) -> RunsFilter:
    errors: Errors = {}
    after = date(errors, "filter.started_after", params.get("filter[started_after]"), required=False)
    before = date(errors, "filter.started_before", params.get("filter[started_before]"), required=False)
    result = choice(errors, "filter.result", params.get("filter[result]"), FINISHED_RESULTS, required=False)
    if errors:
        raise ValidationFailed(errors)
    return RunsFilter(after, before, result)


def uptime_filter(params: Params) -> UptimeFilter:
    errors: Errors = {}
    start = date(errors, "filter.started_at", params.get("filter[started_at]"), required=True)
    end = date(errors, "filter.ended_at", params.get("filter[ended_at]"), required=True)
    split = choice(errors, "split", params.get("split") or params.get("filter[split]"), SPLITS, required=True)
    ordered(errors, "filter.started_at", start, "filter.ended_at", end)
    if errors:
        raise ValidationFailed(errors)
    assert start is not None and end is not None and split is not None
    return UptimeFilter(start, end, split)


def downtime_filter(params: Params) -> DowntimeFilter:
    errors: Errors = {}
    start = date(errors, "filter.started_at", params.get("filter[started_at]"), required=False)
    end = date(errors, "filter.ended_at", params.get("filter[ended_at]"), required=False)
    ordered(errors, "filter.started_at", start, "filter.ended_at", end)
    if errors:
        raise ValidationFailed(errors)
    return DowntimeFilter(start, end)


def metrics_filter(
    params: Params, window: Callable[[datetime, datetime], tuple[datetime, datetime]]
) -> MetricsFilter:
    """`window` is the service's clamp of the range to now: the bounds are compared as
    clamped (two future bounds in either order are no error), which only the service's
    clock knows."""
    errors: Errors = {}
    start = date(errors, "filter.start", params.get("filter[start]"), required=True)
    end = date(errors, "filter.end", params.get("filter[end]"), required=True)
    group_by = choice(errors, "filter.group_by", params.get("filter[group_by]"), GROUPINGS, default="minute")
    if start is not None and end is not None:
        start, end = window(start, end)
        ordered(errors, "filter.start", start, "filter.end", end)
    if errors:
        raise ValidationFailed(errors)
    assert start is not None and end is not None and group_by is not None
    return MetricsFilter(start, end, group_by)


def period_limit(exc: TooManyPeriods, key: str, advice: str) -> ValidationFailed:
    """The service's refusal of a too long range, keyed and worded for this API."""
    return ValidationFailed({key: [f"The period holds more than {exc.limit} {exc.unit}s; {advice}."]})


# -- Laravel's rules -------------------------------------------------------------------------


def date(errors: Errors, key: str, raw: str | None, *, required: bool) -> datetime | None:
    """A YmdHis date; None when absent (an error if `required`) or invalid."""
    attr = attribute_name(key)
    if raw is None or raw == "":
        if required:
            errors.setdefault(key, []).append(f"The {attr} field is required.")
        return None
    try:
        if len(raw) != 14 or not raw.isdigit():
            raise ValueError(raw)
        return datetime.strptime(raw, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        errors.setdefault(key, []).append(f"The {attr} field must match the format YmdHis.")
        return None


def choice(
    errors: Errors,
    key: str,
    raw: str | None,
    allowed: tuple[Choice, ...],
    *,
    default: Choice | None = None,
    required: bool = False,
) -> Choice | None:
    """One of `allowed`; `default` when absent (an error if `required`), None when invalid."""
    attr = attribute_name(key)
    if raw is None or raw == "":
        if required:
            errors.setdefault(key, []).append(f"The {attr} field is required.")
        return default
    for option in allowed:
        if raw == option:
            return option
    errors.setdefault(key, []).append(f"The selected {attr} is invalid.")
    return None


def ordered(
    errors: Errors, start_key: str, start: datetime | None, end_key: str, end: datetime | None
) -> None:
    """Laravel's `after_or_equal`: checked only when both dates are valid."""
    if start is not None and end is not None and end < start:
        after = attribute_name(start_key)
        errors.setdefault(end_key, []).append(
            f"The {attribute_name(end_key)} field must be a date after or equal to {after}."
        )
