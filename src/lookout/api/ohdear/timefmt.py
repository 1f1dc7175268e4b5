"""Timestamps as the Oh Dear API writes them: `2019-09-16 07:29:02`, UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(value: datetime | None) -> str | None:
    # isoformat is several times faster than strftime, and this runs per check per listing.
    return value.isoformat(" ", "seconds")[:19] if value is not None else None


def iso(value: datetime | None) -> str | None:
    """ISO-8601 with offset, as newer endpoints write it: `2026-03-17T00:30:00+00:00`."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")
