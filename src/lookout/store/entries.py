"""Adding up the entries of a packed rollup row (`minute_blob.py`, `hour_blob.py`): a row may
hold a key more than once (a minute written by two batches, an hour folded in late), and
readers, packers and coarsening all see each key's entries added up."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
Values = Sequence[int | None]


def added_up(
    entries: Iterable[tuple[K, Values]], merge: Callable[[list[int | None], Values], None]
) -> dict[K, list[int | None]]:
    """key -> its entries' values added up with `merge` (a minute, an hour, or the period a
    reader groups them by), in first-seen order."""
    totals: dict[K, list[int | None]] = {}
    for key, values in entries:
        into = totals.get(key)
        if into is None:
            totals[key] = list(values)
        else:
            merge(into, values)
    return totals
