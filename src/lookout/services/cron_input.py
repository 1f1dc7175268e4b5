"""The cron check payload (create, update, sync items), checked field by field.

Every value is hostile until checked: names are one line of at most 255 characters,
numbers are whole and within range, the cron expression is five standard fields that
croniter accepts and that fire at some time, the time zone is an IANA name zoneinfo knows.
Errors carry Laravel's messages under the field's name (dotted for sync items).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lookout.model.cron import (
    DEFAULT_GRACE_MINUTES,
    DEFAULT_TIMEZONE,
    MAX_FREQUENCY_MINUTES,
    MAX_GRACE_MINUTES,
    CronType,
)
from lookout.model.cron_schedule import InvalidSchedule, check_fires, normalize_expression, zone
from lookout.services.validation import has_control_characters, int64_from_text

MAX_NAME = 255
MAX_DESCRIPTION = 2000
MAX_SYNC_ITEMS = 500

Errors = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class TaskInput:
    """A task's definition as it will be stored."""

    name: str
    type: CronType
    description: str
    frequency_in_minutes: int | None
    grace_time_in_minutes: int
    cron_expression: str | None
    server_timezone: str | None

    def as_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.value,
            "description": self.description,
            "frequency_in_minutes": self.frequency_in_minutes,
            "grace_time_in_minutes": self.grace_time_in_minutes,
            "cron_expression": self.cron_expression,
            "server_timezone": self.server_timezone,
        }


def parse_task(
    raw: Any, now: datetime, current: TaskInput | None = None, prefix: str = ""
) -> tuple[TaskInput | None, Errors]:
    """The task `raw` describes (fields missing from an update keep `current`'s values)."""
    errors: Errors = {}
    if not isinstance(raw, Mapping):
        return None, {prefix.rstrip(".") or "body": ["The request body must be a JSON object."]}

    def fail(field: str, message: str) -> None:
        errors.setdefault(prefix + field, []).append(message.replace("{attr}", _attr(field)))

    def given(field: str) -> bool:
        return field in raw and raw[field] is not None

    name = current.name if current else None
    if given("name") or current is None:
        name = _text(raw.get("name"), "name", MAX_NAME, fail, required=True)

    kind = current.type if current else None
    if given("type"):
        try:
            kind = CronType(raw["type"]) if isinstance(raw["type"], str) else None
        except ValueError:
            kind = None
        if kind is None:
            fail("type", "The selected {attr} is invalid.")
    elif kind is None:
        kind = CronType.CRON if given("cron_expression") else CronType.SIMPLE

    description = current.description if current else ""
    if "description" in raw:
        description = (
            _text(raw.get("description"), "description", MAX_DESCRIPTION, fail, multiline=True) or ""
        )

    grace: int | None = current.grace_time_in_minutes if current else DEFAULT_GRACE_MINUTES
    if given("grace_time_in_minutes"):
        grace = _integer(raw["grace_time_in_minutes"], "grace_time_in_minutes", 0, MAX_GRACE_MINUTES, fail)

    timezone = current.server_timezone if current else None
    if "server_timezone" in raw:
        timezone = _text(raw.get("server_timezone"), "server_timezone", 64, fail) or None
        if timezone is not None:
            try:
                zone(timezone)
            except InvalidSchedule as exc:
                fail("server_timezone", str(exc))
                timezone = None

    frequency = current.frequency_in_minutes if current else None
    expression = current.cron_expression if current else None
    if kind is CronType.SIMPLE:
        if given("frequency_in_minutes"):
            frequency = _integer(
                raw["frequency_in_minutes"], "frequency_in_minutes", 1, MAX_FREQUENCY_MINUTES, fail
            )
        elif frequency is None:
            fail("frequency_in_minutes", "The {attr} field is required when type is simple.")
        expression = None
    elif kind is CronType.CRON:
        if given("cron_expression"):
            text = _text(raw["cron_expression"], "cron_expression", 255, fail)
            expression = None
            if text is not None:
                try:
                    expression = normalize_expression(text)
                    check_fires(expression, timezone or DEFAULT_TIMEZONE, now)
                except InvalidSchedule as exc:
                    fail("cron_expression", str(exc))
                    expression = None
        elif not expression:
            fail("cron_expression", "The {attr} field is required when type is cron.")
        frequency = None

    if errors or name is None or kind is None or grace is None:
        return None, errors
    return TaskInput(name, kind, description, frequency, grace, expression, timezone), errors


def _attr(field: str) -> str:
    return field.replace("_", " ")


def _text(
    value: Any, field: str, limit: int, fail: Any, *, required: bool = False, multiline: bool = False
) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fail(field, "The {attr} field is required.")
        return None
    if not isinstance(value, str):
        fail(field, "The {attr} field must be a string.")
        return None
    if len(value) > limit:
        fail(field, f"The {{attr}} field must not be greater than {limit} characters.")
        return None
    if has_control_characters(value, multiline=multiline):
        fail(field, "The {attr} field must not contain control characters.")
        return None
    return value.strip() if not multiline else value


def _integer(value: Any, field: str, low: int, high: int, fail: Any) -> int | None:
    number: int | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        number = int64_from_text(value)
    else:
        number = None
    if number is None:
        fail(field, "The {attr} field must be an integer.")
        return None
    if number < low:
        fail(field, f"The {{attr}} field must be at least {low}.")
        return None
    if number > high:
        fail(field, f"The {{attr}} field must not be greater than {high}.")
        return None
    return number
