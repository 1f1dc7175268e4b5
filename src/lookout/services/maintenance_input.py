"""Maintenance and tag payloads, checked field by field with Laravel's messages.

Every rule is a bound: lengths, ranges, the characters of a name, the years a date may
name. Errors are collected per field and raised together as one `ValidationFailed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from lookout.errors import ValidationFailed
from lookout.model.maintenance import RECURRENCES, Recurrence
from lookout.services.validation import has_control_characters, int64_from_text

MAX_NAME = 255
MIN_START_SECONDS = 5
DEFAULT_START_SECONDS = 3600
MAX_SECONDS = 366 * 24 * 3600  # a maintenance started or delayed through the API lasts at most a year
FIRST_YEAR, LAST_YEAR = 1970, 2999
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
_LOCAL_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?", re.ASCII)

Errors = dict[str, list[str]]


class Body:
    """A JSON object body; anything else is one error on `body`."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValidationFailed({"body": ["The request body must be a JSON object."]})
        self.raw: dict[str, Any] = raw
        self.errors: Errors = {}

    def has(self, key: str) -> bool:
        return key in self.raw

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def text(self, key: str, *, required: bool = False, max_length: int = MAX_NAME) -> str | None:
        value = self.raw.get(key)
        attr = key.replace("_", " ")
        if value is None or value == "":
            if required:
                self.fail(key, f"The {attr} field is required.")
            return None
        if not isinstance(value, str):
            self.fail(key, f"The {attr} field must be a string.")
            return None
        if len(value) > max_length:
            self.fail(key, f"The {attr} field must not be greater than {max_length} characters.")
            return None
        if has_control_characters(value):
            self.fail(key, f"The {attr} field must not contain control characters.")
            return None
        value = value.strip()
        if required and not value:
            self.fail(key, f"The {attr} field is required.")
            return None
        return value or None

    def integer(
        self, key: str, *, required: bool = False, low: int, high: int, default: int | None = None
    ) -> int | None:
        value = self.raw.get(key)
        attr = key.replace("_", " ")
        if value is None or value == "":
            if required:
                self.fail(key, f"The {attr} field is required.")
            return default
        number = as_integer(value)
        if number is None:
            self.fail(key, f"The {attr} field must be an integer.")
            return None
        if number < low:
            self.fail(key, f"The {attr} field must be at least {low}.")
            return None
        if number > high:
            self.fail(key, f"The {attr} field must not be greater than {high}.")
            return None
        return number

    def local_datetime(self, key: str, tz: ZoneInfo, *, required: bool = True) -> datetime | None:
        """`Y-m-d H:i` (or with seconds) in the team's zone, as an aware UTC datetime."""
        value = self.raw.get(key)
        attr = key.replace("_", " ")
        if value is None or value == "":
            if required:
                self.fail(key, f"The {attr} field is required.")
            return None
        parsed = None
        if isinstance(value, str) and _LOCAL_SHAPE.fullmatch(value.strip()):
            for fmt in _LOCAL_FORMATS:
                try:
                    parsed = datetime.strptime(value.strip(), fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            self.fail(key, f"The {attr} field must match the format Y-m-d H:i.")
            return None
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            self.fail(key, f"The {attr} field must be a date between {FIRST_YEAR} and {LAST_YEAR}.")
            return None
        return parsed.replace(tzinfo=tz).astimezone(UTC)

    def time_of_day(self, key: str, *, required: bool = True) -> time | None:
        value = self.raw.get(key)
        attr = key.replace("_", " ")
        if value is None or value == "":
            if required:
                self.fail(key, f"The {attr} field is required.")
            return None
        match = _HHMM.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            self.fail(key, f"The {attr} field must match the format H:i.")
            return None
        return time(int(match[1]), int(match[2]))

    def int_list(self, key: str, *, low: int, high: int, max_items: int) -> list[int] | None:
        value = self.raw.get(key)
        attr = key.replace("_", " ")
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(key, f"The {attr} field must be an array.")
            return None
        if len(value) > max_items:
            self.fail(key, f"The {attr} field must not have more than {max_items} items.")
            return None
        numbers: list[int] = []
        for index, item in enumerate(value):
            number = as_integer(item)
            if number is None or not low <= number <= high:
                self.fail(f"{key}.{index}", f"The {attr}.{index} field must be between {low} and {high}.")
                continue
            numbers.append(number)
        return sorted(set(numbers))


def as_integer(value: Any) -> int | None:
    """An integer as Laravel's `integer` rule reads one (numeric strings, whole floats)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str):
        return int64_from_text(value)
    return None


@dataclass(frozen=True, slots=True)
class PeriodFields:
    name: str | None
    starts_at: datetime
    ends_at: datetime


def period_fields(body: Body, tz: ZoneInfo) -> PeriodFields:
    name = body.text("name")
    starts_at = body.local_datetime("starts_at", tz)
    ends_at = body.local_datetime("ends_at", tz)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        body.fail("ends_at", "The ends at field must be a date after starts at.")
    body.done()
    assert starts_at is not None and ends_at is not None
    return PeriodFields(name, starts_at, ends_at)


@dataclass(frozen=True, slots=True)
class RecurringFields:
    name: str | None
    recurrence: Recurrence
    start: time
    end: time
    days_of_week: tuple[int, ...]
    day_of_month: int | None


def recurring_fields(body: Body) -> RecurringFields:
    name = body.text("name")
    raw_kind = body.raw.get("recurrence_type")
    kind: Recurrence | None = "weekly"
    if raw_kind is not None and raw_kind != "":
        kind = next((choice for choice in RECURRENCES if raw_kind == choice), None)
        if kind is None:
            body.fail("recurrence_type", "The selected recurrence type is invalid.")
    start = body.time_of_day("start_time")
    end = body.time_of_day("end_time")
    if start is not None and end is not None and start == end:
        body.fail("end_time", "The end time field and start time must be different.")
    days = body.int_list("days_of_week", low=1, high=7, max_items=7)
    day_of_month = body.integer("day_of_month", low=1, high=31)
    days_invalid = any(key.startswith("days_of_week") for key in body.errors)
    if kind == "weekly" and not days and not days_invalid:
        body.fail("days_of_week", "The days of week field is required when recurrence type is weekly.")
    if kind == "monthly" and day_of_month is None and "day_of_month" not in body.errors:
        body.fail("day_of_month", "The day of month field is required when recurrence type is monthly.")
    body.done()
    assert kind is not None and start is not None and end is not None
    return RecurringFields(
        name,
        kind,
        start,
        end,
        tuple(days or ()) if kind == "weekly" else (),
        day_of_month if kind == "monthly" else None,
    )
