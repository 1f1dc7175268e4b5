"""What a check run produces: an outcome, a person's summary, details, timings and findings."""

from __future__ import annotations

from collections.abc import Mapping
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
class Finding:
    """One thing a check found that outlives the run: a certificate, a broken link, a DNS
    record set, an open port. `key` identifies it across runs (at most 512 characters);
    `payload` is what is known about it now (JSON-serialisable)."""

    key: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    summary: str
    started_at: datetime
    ended_at: datetime
    location: str = "local"
    timings: Timings = field(default_factory=Timings)
    details: Mapping[str, Any] = field(default_factory=dict)
    # None: this run observed no findings (the check has none, or it could not look, so
    # nothing found earlier may be called fixed). A tuple, even empty, is what was seen.
    findings: tuple[Finding, ...] | None = None
    # A full report too large for the details (Lighthouse's JSON, deflated with zlib): the
    # writer keeps it beside the run for the check's last few runs (run_reports).
    report: bytes | None = None
