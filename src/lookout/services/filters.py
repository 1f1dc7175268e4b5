"""Query-string filters of the history endpoints, checked with Laravel's messages.

Keys are the dotted names Laravel reports (`filter.started_at`); dates are compact
`YmdHis` in UTC, as Oh Dear's clients send them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from lookout.model import periods
from lookout.services.validation import attribute_name

DATE_FORMAT = "%Y%m%d%H%M%S"

Errors = dict[str, list[str]]


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
    errors: Errors, key: str, raw: str | None, allowed: Collection[str], *, default: str | None
) -> str | None:
    """One of `allowed`; `default` when absent (an error when there is no default)."""
    attr = attribute_name(key)
    if raw is None or raw == "":
        if default is None:
            errors.setdefault(key, []).append(f"The {attr} field is required.")
        return default
    if raw not in allowed:
        errors.setdefault(key, []).append(f"The selected {attr} is invalid.")
        return None
    return raw


def ordered(
    errors: Errors, start_key: str, start: datetime | None, end_key: str, end: datetime | None
) -> None:
    if start is not None and end is not None and end < start:
        after = attribute_name(start_key)
        errors.setdefault(end_key, []).append(
            f"The {attribute_name(end_key)} field must be a date after or equal to {after}."
        )


def capped(
    errors: Errors,
    key: str,
    start: datetime | None,
    end: datetime | None,
    unit: str | None,
    limit: int,
    advice: str,
) -> None:
    """Refuse a range holding more than `limit` periods (checked once the rest is valid)."""
    if errors or start is None or end is None or unit is None:
        return
    if periods.count(start, end, unit) > limit:
        errors[key] = [f"The period holds more than {limit} {unit}s; {advice}."]
