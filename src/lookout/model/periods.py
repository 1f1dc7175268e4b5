"""How many calendar periods (minute … month, UTC) a time range touches."""

from __future__ import annotations

from datetime import datetime, timedelta

_FIXED = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def floor(at: datetime, unit: str) -> datetime:
    if unit == "minute":
        return at.replace(second=0, microsecond=0)
    if unit == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if unit == "month":
        return day.replace(day=1)
    return day


def count(start: datetime, end: datetime, unit: str) -> int:
    """Periods whose start lies in [floor(start), end], i.e. the points a series can hold."""
    if end < start:
        return 0
    first = floor(start, unit)
    if unit == "month":
        return (end.year - first.year) * 12 + end.month - first.month + 1
    return int((end - first) // _FIXED[unit]) + 1
