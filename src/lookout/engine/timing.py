"""When a check runs next: a fixed phase per check, quick re-checks while failing.

Checks of the same interval are spread over the interval by a hash of their id, so ten
thousand monitors created at once do not fire in the same second, and a check keeps its
phase across restarts (the slot grid depends only on the id and the interval).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUICK_RECHECK_SECONDS = 5.0


def phase(check_id: int, interval: float) -> float:
    """Seconds into each interval at which this check's slot falls."""
    mixed = (check_id * 2654435761) & 0xFFFFFFFF  # Knuth's multiplicative hash
    return interval * mixed / 2**32


def next_slot(check_id: int, interval: float, after: datetime) -> datetime:
    """The first slot of the check's grid strictly after `after`."""
    offset = phase(check_id, interval)
    elapsed = (after - _EPOCH).total_seconds() - offset
    k = math.floor(elapsed / interval) + 1
    return _EPOCH + timedelta(seconds=offset + k * interval)


def next_run_at(
    check_id: int,
    interval: float,
    started_at: datetime,
    confirming_failure: bool,
    quick_recheck: float = QUICK_RECHECK_SECONDS,
) -> datetime:
    """After a run that started at `started_at`.

    While a failure awaits confirmation the check is re-run after `quick_recheck` seconds
    rather than a whole interval later. Otherwise the next slot at least half an interval
    away, so an extra run (request-run, a late run) is not followed by one right after.
    """
    if confirming_failure and quick_recheck < interval:
        return started_at + timedelta(seconds=quick_recheck)
    return next_slot(check_id, interval, started_at + timedelta(seconds=interval / 2))
