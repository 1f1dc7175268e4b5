"""Minute rollups packed thirty to a row: the byte format of `minute_rollups.data`.

A 60-second check writes a minute rollup per run and keeps 48 hours of them, so their size
is most of a check's storage. As one row per minute (13 integer columns, key and B-tree cell
included) a minute took about 48 bytes on SQLite; packed here it takes about 14: one row per
check and half hour whose `data` is a run of entries appended as the minutes come (SQL
`data || new`, no read), so a minute written by two batches is two entries that the reader
adds up. Thirty entries stay under SQLite's in-page payload limit of a WITHOUT ROWID table
(about 1,000 bytes for 4 KiB pages), so a row never spills to an overflow page.

An entry (integers are LEB128 varints; times are whole microseconds):

- a head byte: the minute's offset in the half hour (low 5 bits) and a code (high 3 bits)
  for its (runs, failed runs, timed runs): one of the common `_COMMON` triples, or
  `_GENERAL`, after which the three counts follow as varints;
- when timed runs > 0: the five phase sums (dns, connect, tls, first byte, download), then
  the total's sum as its zig-zag difference from the phases' sum (curl's total is their sum
  within a few microseconds, so this is usually one byte), then, only when timed runs > 1,
  the minimum and maximum totals (one timed run is its own minimum and maximum).

Common codes carry the phases unsigned; `_GENERAL` carries every time zig-zag encoded, so a
negative value (never measured, but not excluded by the types) still round-trips.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

MINUTES_PER_ROW = 30

# (runs, failed runs, timed runs) that take no bytes beyond the head: one run a minute.
_COMMON = ((1, 0, 1), (1, 1, 1), (1, 1, 0), (1, 0, 0))
_CODE = {counts: code for code, counts in enumerate(_COMMON)}
_GENERAL = 7

# What an entry holds, in this order: a minute rollup's values.
Minute = tuple[int, int, int, int, int | None, int | None, int, int, int, int, int]
"""(runs, failed, timed, sum total, min total, max total, sum dns, sum connect, sum tls,
sum first byte, sum download); min and max are None when nothing was timed."""


def row_key(epoch_minute: int) -> tuple[int, int]:
    """(the row's half hour, the minute's offset in it) of a minute since the epoch."""
    return divmod(epoch_minute, MINUTES_PER_ROW)


def encode(offset: int, minute: Minute) -> bytes:
    runs, failed, timed, total, low, high, *phases = minute
    out = bytearray()
    code = _CODE.get((runs, failed, timed), _GENERAL)
    general = code == _GENERAL or any(value < 0 for value in phases)
    out.append(offset | (_GENERAL if general else code) << 5)
    if general:
        _varint(out, runs)
        _varint(out, failed)
        _varint(out, timed)
    if timed == 0:
        return bytes(out)
    for value in phases:
        _varint(out, _zigzag(value) if general else value)
    _varint(out, _zigzag(total - sum(phases)))
    if timed > 1:
        assert low is not None and high is not None
        _varint(out, _zigzag(low) if general else low)
        _varint(out, _zigzag(high) if general else high)
    return bytes(out)


def decode(half_hour: int, data: bytes) -> Iterator[tuple[int, Minute]]:
    """(minute since the epoch, values) of each entry, in stored order; a minute may repeat."""
    position, end = 0, len(data)
    base = half_hour * MINUTES_PER_ROW
    while position < end:
        head = data[position]
        position += 1
        code = head >> 5
        general = code == _GENERAL
        if general:
            runs, position = _read(data, position)
            failed, position = _read(data, position)
            timed, position = _read(data, position)
        else:
            runs, failed, timed = _COMMON[code]
        minute = base + (head & 31)
        if timed == 0:
            yield minute, (runs, failed, 0, 0, None, None, 0, 0, 0, 0, 0)
            continue
        phases = []
        for _ in range(5):
            value, position = _read(data, position)
            phases.append(_unzigzag(value) if general else value)
        delta, position = _read(data, position)
        total = sum(phases) + _unzigzag(delta)
        low = high = total
        if timed > 1:
            low, position = _read(data, position)
            high, position = _read(data, position)
            if general:
                low, high = _unzigzag(low), _unzigzag(high)
        dns, connect, tls, first_byte, download = phases
        yield minute, (runs, failed, timed, total, low, high, dns, connect, tls, first_byte, download)


def merge(into: list[int | None], minute: Sequence[int | None]) -> None:
    """Add one entry's values to a running minute (counts and sums add, extremes extend)."""
    for index in (0, 1, 2, 3, 6, 7, 8, 9, 10):
        into[index] = (into[index] or 0) + (minute[index] or 0)
    for index, pick in ((4, min), (5, max)):
        value = minute[index]
        if value is not None:
            current = into[index]
            into[index] = value if current is None else pick(current, value)


def _varint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _read(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


def _unzigzag(value: int) -> int:
    return value >> 1 if not value & 1 else -(value >> 1) - 1
