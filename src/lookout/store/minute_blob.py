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

A closed half hour is packed again by the retention sweep (`pack`): its entries merged per
minute (as readers merge them) and laid out column by column, each column packed to the
bits its spread needs (`store/bitpack.py`). This is one entry with the head code `_PACKED`
(offset bits 0) and its length, so a late run appended after it (`data || new`) is an
ordinary entry after the block, added up like any other. The block's columns:

- a varint mask of the minutes present (bit = offset), in minute order below;
- a column of one code per minute (as in an entry's head), then the varint (runs, failed,
  timed) of the `_GENERAL` minutes;
- over the timed minutes: dns, connect, tls, first byte, download, and the total's
  difference from their sum; then over the minutes timed more than once: the minimum total
  and the maximum's distance from it.

Blocks written before bit packing (head code `_BLOCK`) have the same layout with a byte per
code and each column as a zig-zag minimum and varint distances, deflated; they are still
read, and age out with the minutes. A check whose phases jitter as measured ones do takes
about 10.5 bytes a minute packed (13 deflated, about 15 as entries); a steady one, 3.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

from lookout.store import bitpack, varint
from lookout.store.entries import added_up

MINUTES_PER_ROW = 30

# (runs, failed runs, timed runs) that take no bytes beyond the head: one run a minute.
_COMMON = ((1, 0, 1), (1, 1, 1), (1, 1, 0), (1, 0, 0))
_CODE = {counts: code for code, counts in enumerate(_COMMON)}
_GENERAL = 7
_BLOCK = 6  # deflated varint columns: read, no longer written
_PACKED = 5
_BLOCKS = (_BLOCK, _PACKED)
# Raw deflate with a 512-byte window, as the old blocks were written.
_WBITS = -9

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
        varint.write(out, runs)
        varint.write(out, failed)
        varint.write(out, timed)
    if timed == 0:
        return bytes(out)
    for value in phases:
        varint.write(out, varint.zigzag(value) if general else value)
    varint.write(out, varint.zigzag(total - sum(phases)))
    if timed > 1:
        assert low is not None and high is not None
        varint.write(out, varint.zigzag(low) if general else low)
        varint.write(out, varint.zigzag(high) if general else high)
    return bytes(out)


def decode(half_hour: int, data: bytes) -> Iterator[tuple[int, Minute]]:
    """(minute since the epoch, values) of each entry, in stored order; a minute may repeat."""
    position, end = 0, len(data)
    base = half_hour * MINUTES_PER_ROW
    while position < end:
        head = data[position]
        position += 1
        code = head >> 5
        if code in _BLOCKS:
            length, position = varint.read(data, position)
            body = data[position : position + length]
            if code == _BLOCK:
                yield from _unblock(half_hour, zlib.decompress(body, _WBITS), legacy=True)
            else:
                yield from _unblock(half_hour, body, legacy=False)
            position += length
            continue
        general = code == _GENERAL
        if general:
            runs, position = varint.read(data, position)
            failed, position = varint.read(data, position)
            timed, position = varint.read(data, position)
        else:
            runs, failed, timed = _COMMON[code]
        minute = base + (head & 31)
        if timed == 0:
            yield minute, (runs, failed, 0, 0, None, None, 0, 0, 0, 0, 0)
            continue
        phases = []
        for _ in range(5):
            value, position = varint.read(data, position)
            phases.append(varint.unzigzag(value) if general else value)
        delta, position = varint.read(data, position)
        total = sum(phases) + varint.unzigzag(delta)
        low = high = total
        if timed > 1:
            low, position = varint.read(data, position)
            high, position = varint.read(data, position)
            if general:
                low, high = varint.unzigzag(low), varint.unzigzag(high)
        dns, connect, tls, first_byte, download = phases
        yield minute, (runs, failed, timed, total, low, high, dns, connect, tls, first_byte, download)


def pack(half_hour: int, data: bytes) -> bytes | None:
    """The row's entries merged per minute as one block entry (see the module); None when the
    row is one block already, or would not shrink."""
    if data and data[0] >> 5 in _BLOCKS:
        length, position = varint.read(data, 1)
        if position + length == len(data):
            return None
    merged = added_up(decode(half_hour, data), merge)
    base = half_hour * MINUTES_PER_ROW
    mask = 0
    codes: list[int] = []
    counts = bytearray()
    timed_columns: list[list[int]] = [[] for _ in range(6)]
    extremes: list[list[int]] = [[], []]
    for minute in sorted(merged):
        runs, failed, timed, total, low, high, *phases = merged[minute]
        assert runs is not None and failed is not None and timed is not None and total is not None
        mask |= 1 << (minute - base)
        code = _CODE.get((runs, failed, timed), _GENERAL)
        codes.append(code)
        if code == _GENERAL:
            varint.write(counts, runs)
            varint.write(counts, failed)
            varint.write(counts, timed)
        if timed == 0:
            continue
        sums = [value or 0 for value in phases]
        for column, value in zip(timed_columns, (*sums, total - sum(sums)), strict=True):
            column.append(value)
        if timed > 1:
            assert low is not None and high is not None
            extremes[0].append(low)
            extremes[1].append(high - low)
        elif low != total or high != total:
            return None  # one timed run is its own extremes; anything else stays as it is
    body = bytearray()
    varint.write(body, mask)
    bitpack.write(body, codes)
    body += counts
    for column in (*timed_columns, *extremes):
        bitpack.write(body, column)
    block = bytearray((_PACKED << 5,))
    varint.write(block, len(body))
    block += body
    return bytes(block) if len(block) < len(data) else None


def _unblock(half_hour: int, data: bytes, legacy: bool) -> Iterator[tuple[int, Minute]]:
    """The minutes of a block's body; `legacy` for an old `_BLOCK`'s (inflated)."""
    read_column = _read_varint_column if legacy else bitpack.read
    mask, position = varint.read(data, 0)
    offsets = [offset for offset in range(mask.bit_length()) if mask >> offset & 1]
    if legacy:
        codes: Sequence[int] = data[position : position + len(offsets)]
        position += len(offsets)
    else:
        codes, position = read_column(data, position, len(offsets))
    counts: list[tuple[int, int, int]] = []
    for code in codes:
        if code == _GENERAL:
            runs, position = varint.read(data, position)
            failed, position = varint.read(data, position)
            timed, position = varint.read(data, position)
            counts.append((runs, failed, timed))
        else:
            counts.append(_COMMON[code])
    timed_minutes = sum(1 for triple in counts if triple[2] > 0)
    multiple = sum(1 for triple in counts if triple[2] > 1)
    columns = []
    for size in (timed_minutes,) * 6 + (multiple,) * 2:
        column, position = read_column(data, position, size)
        columns.append(iter(column))
    dns, connect, tls, first_byte, download, deltas, lows, spreads = columns
    base = half_hour * MINUTES_PER_ROW
    for offset, (runs, failed, timed) in zip(offsets, counts, strict=True):
        if timed == 0:
            yield base + offset, (runs, failed, 0, 0, None, None, 0, 0, 0, 0, 0)
            continue
        phases = (next(dns), next(connect), next(tls), next(first_byte), next(download))
        total = sum(phases) + next(deltas)
        low = high = total
        if timed > 1:
            low = next(lows)
            high = low + next(spreads)
        yield base + offset, (runs, failed, timed, total, low, high, *phases)


def _read_varint_column(data: bytes, position: int, size: int) -> tuple[list[int], int]:
    """A column of an old `_BLOCK`: its zig-zag minimum, then varint distances."""
    if size == 0:
        return [], position
    least, position = varint.read(data, position)
    least = varint.unzigzag(least)
    values = []
    for _ in range(size):
        value, position = varint.read(data, position)
        values.append(least + value)
    return values, position


def merge(into: list[int | None], minute: Sequence[int | None]) -> None:
    """Add one entry's values to a running minute (counts and sums add, extremes extend)."""
    for index in (0, 1, 2, 3, 6, 7, 8, 9, 10):
        into[index] = (into[index] or 0) + (minute[index] or 0)
    for index, pick in ((4, min), (5, max)):
        value = minute[index]
        if value is not None:
            current = into[index]
            into[index] = value if current is None else pick(current, value)
