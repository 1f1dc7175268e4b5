"""What a reader makes of a packed rollup row (`store/minute_blob.py`, `store/hour_blob.py`):
each key's entries added up, as the repositories read them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any


def merged(
    decode: Callable[[int, bytes], Iterable[tuple[int, Sequence[Any]]]],
    merge: Callable[[list[Any], Sequence[Any]], None],
    row: int,
    data: bytes,
) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for key, values in decode(row, data):
        if key in out:
            merge(out[key], values)
        else:
            out[key] = list(values)
    return out
