from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from lookout.engine.timing import next_run_at, next_slot, phase

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_slots_spread_checks_over_the_interval() -> None:
    seconds = Counter(int(phase(check_id, 60)) for check_id in range(1, 10_001))
    assert len(seconds) == 60
    assert max(seconds.values()) < 10_000 / 60 * 1.5


def test_next_slot_is_on_the_grid_and_strictly_after() -> None:
    slot = next_slot(42, 60, T0)
    assert T0 < slot <= T0 + timedelta(seconds=60)
    assert next_slot(42, 60, slot) == slot + timedelta(seconds=60)
    assert next_slot(42, 60, slot - timedelta(microseconds=1)) == slot


def test_overdue_check_runs_once_then_returns_to_its_phase() -> None:
    slot = next_slot(7, 60, T0)
    late_start = slot + timedelta(hours=3, seconds=1)
    following = next_run_at(7, 60, late_start, confirming_failure=False)
    assert following > late_start
    assert (following - slot).total_seconds() % 60 == 0


def test_failure_awaiting_confirmation_is_rechecked_quickly() -> None:
    assert next_run_at(7, 60, T0, confirming_failure=True) == T0 + timedelta(seconds=5)
    # An interval shorter than the quick re-check keeps the normal grid.
    assert next_run_at(7, 5, T0, confirming_failure=True) > T0 + timedelta(seconds=2.5)


def test_requested_run_just_before_a_slot_does_not_run_twice() -> None:
    slot = next_slot(9, 60, T0)
    following = next_run_at(9, 60, slot - timedelta(seconds=1), confirming_failure=False)
    assert following == slot + timedelta(seconds=60)
