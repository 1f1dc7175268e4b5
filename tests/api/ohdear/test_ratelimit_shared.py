"""Rate windows shared by API workers (`SharedWindows`): one count per key across every
process that has the table, windows that open and end as `MemoryWindows`' do, and a
crowded table that takes over the window ending soonest."""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing

from lookout.api.ohdear.ratelimit_shared import SharedTable, SharedWindows, Slot, shared_table


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def hits(windows: SharedWindows, key: str, times: int = 1) -> tuple[int, float]:
    result = (0, 0.0)
    for _ in range(times):
        result = asyncio.run(windows.hit(key, 60))
    return result


def test_two_holders_of_one_table_count_one_window() -> None:
    table, clock = shared_table(), Clock()
    first, second = SharedWindows(table, clock), SharedWindows(table, clock)
    assert hits(first, "token:1") == (1, 1_060.0)
    assert hits(second, "token:1") == (2, 1_060.0)
    assert hits(first, "token:2") == (1, 1_060.0)
    clock.now = 1_030.0
    assert hits(second, "token:1", 3) == (5, 1_060.0)


def test_a_window_ends_after_its_seconds_and_the_next_opens_at_the_next_hit() -> None:
    clock = Clock()
    windows = SharedWindows(shared_table(), clock)
    hits(windows, "ip:192.0.2.1", 7)
    clock.now = 1_060.0
    assert hits(windows, "ip:192.0.2.1") == (1, 1_120.0)


def test_a_crowded_table_takes_over_the_window_ending_soonest() -> None:
    clock = Clock()
    table = shared_table(size=4)
    windows = SharedWindows(table, clock)
    for index in range(4):
        clock.now = 1_000.0 + index
        hits(windows, f"k{index}", 2)
    clock.now = 1_010.0
    assert hits(windows, "newcomer") == (1, 1_070.0)
    assert sorted(int(slot.count) for slot in table.slots) == [1, 2, 2, 2]
    assert hits(windows, "k0") == (1, 1_070.0), "k0 ended soonest: its slot went to the newcomer"
    assert hits(windows, "k3") == (3, 1_063.0)


def _hit_in_another_process(table: SharedTable, times: int) -> None:
    hits(SharedWindows(table), "token:9", times)


def test_another_process_counts_in_the_same_window() -> None:
    table = shared_table()
    child = multiprocessing.get_context("spawn").Process(target=_hit_in_another_process, args=(table, 50))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    count, _ = hits(SharedWindows(table), "token:9")
    assert count == 51
    assert ctypes.sizeof(table.slots) == ctypes.sizeof(Slot) * len(table.slots) == 24 * 65_536


def test_the_slot_a_key_takes_depends_on_the_secret() -> None:
    """Two tables (two starts) place the same keys differently: the positions cannot be
    worked out beforehand."""
    placed = []
    for _ in range(2):
        table = shared_table()
        windows = SharedWindows(table)
        for index in range(20):
            hits(windows, f"ip:2001:db8::{index}")
        placed.append([i for i, slot in enumerate(table.slots) if slot.key])
    assert placed[0] != placed[1]
