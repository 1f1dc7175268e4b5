"""Timestamps as the Oh Dear API writes them: `2019-09-16 07:29:02`, UTC."""

from __future__ import annotations

from datetime import datetime


def stamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else None
