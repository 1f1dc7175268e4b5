"""Maintenance windows as instants: recurring wall-clock windows expanded in a time zone,
and the interval arithmetic the uptime read path needs. Pure; all instants are aware UTC.

A recurring window is wall-clock time: "Sunday 02:00-04:00 Europe/Amsterdam" is 02:00 local
on both sides of a daylight-saving change, so its UTC instants move by an hour. A local time
that does not exist (the spring-forward gap) is read with the offset before the change, as
`zoneinfo` does for fold=0; an ambiguous one (fall back) is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Recurrence = Literal["daily", "weekly", "monthly"]
RECURRENCES: tuple[Recurrence, ...] = get_args(Recurrence)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Interval = tuple[datetime, datetime]


def zone(name: str | None) -> ZoneInfo:
    """The team's zone; an unknown or empty name is UTC rather than an error at read time."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class RecurringWindow:
    recurrence: Recurrence
    start: time
    end: time
    days_of_week: tuple[int, ...] = ()  # ISO weekdays, 1 = Monday; weekly windows only
    day_of_month: int | None = None  # monthly windows only; months without that day are skipped

    def occurs_on(self, day: date) -> bool:
        if self.recurrence == "daily":
            return True
        if self.recurrence == "weekly":
            return day.isoweekday() in self.days_of_week
        return day.day == self.day_of_month

    def describe(self, zone_name: str) -> str:
        hours = f"from {self.start:%H:%M} to {self.end:%H:%M}"
        if self.end <= self.start:
            hours += " the next day"
        if self.recurrence == "daily":
            when = "Every day"
        elif self.recurrence == "weekly":
            names = [WEEKDAY_NAMES[d - 1] for d in sorted(self.days_of_week)]
            when = "Every " + (
                " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
            )
        else:
            when = f"Every month on day {self.day_of_month}"
        return f"{when} {hours} ({zone_name})"


def occurrences(window: RecurringWindow, tz: ZoneInfo, start: datetime, end: datetime) -> list[Interval]:
    """The window's occurrences (UTC) that overlap [start, end), oldest first."""
    if end <= start:
        return []
    found: list[Interval] = []
    # A window that crosses midnight started the local day before `start`.
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        if window.occurs_on(day):
            opens = _instant(day, window.start, tz)
            closes_on = day if window.end > window.start else day + timedelta(days=1)
            closes = _instant(closes_on, window.end, tz)
            if opens < end and closes > start and closes > opens:
                found.append((opens, closes))
        day += timedelta(days=1)
    return found


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def contains(intervals: Iterable[Interval], at: datetime) -> bool:
    return any(opens <= at < closes for opens, closes in intervals)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same instants."""
    merged: list[Interval] = []
    for opens, closes in sorted(intervals):
        if closes <= opens:
            continue
        if merged and opens <= merged[-1][1]:
            if closes > merged[-1][1]:
                merged[-1] = (merged[-1][0], closes)
        else:
            merged.append((opens, closes))
    return merged


def overlap_seconds(a: Sequence[Interval], b: Sequence[Interval], start: datetime, end: datetime) -> float:
    """Seconds of [start, end) inside both `a` and `b` (each merged: sorted, disjoint)."""
    total = 0.0
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0], start)
        hi = min(a[i][1], b[j][1], end)
        if hi > lo:
            total += (hi - lo).total_seconds()
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total
