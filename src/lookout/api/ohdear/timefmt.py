"""Timestamps as the Oh Dear API writes them: `2019-09-16 07:29:02`, UTC."""

from __future__ import annotations

from datetime import datetime


def stamp(value: datetime | None) -> str | None:
    # isoformat is several times faster than strftime, and this runs per check per listing.
    return value.isoformat(" ", "seconds")[:19] if value is not None else None
