"""A period of a check's measurements, as the metrics endpoints report them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One period of a check's measurements; times in ms, None where nothing was timed."""

    date: datetime
    runs: int
    failed_runs: int
    up_seconds: float
    down_seconds: float
    average_total_ms: float | None
    minimum_total_ms: float | None
    maximum_total_ms: float | None
    average_dns_ms: float | None
    average_connect_ms: float | None
    average_tls_ms: float | None
    average_first_byte_ms: float | None
    average_download_ms: float | None

    @property
    def uptime_percentage(self) -> float:
        covered = self.up_seconds + self.down_seconds
        return 100.0 if covered == 0 else round(100 * self.up_seconds / covered, 4)
