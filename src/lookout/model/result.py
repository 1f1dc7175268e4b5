"""What a check run produces: an outcome, a person's summary, details and timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    WARNING = "warning"
    FAILED = "failed"
    ERRORED = "errored-or-timed-out"

    @property
    def is_up(self) -> bool:
        return self in (Outcome.SUCCEEDED, Outcome.WARNING)


@dataclass(frozen=True, slots=True)
class Timings:
    """Phase durations of one request, in milliseconds; None where a phase did not happen."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    download_ms: float | None = None
    total_ms: float | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    summary: str
    started_at: datetime
    ended_at: datetime
    location: str = "local"
    timings: Timings = field(default_factory=Timings)
    details: dict[str, Any] = field(default_factory=dict)
