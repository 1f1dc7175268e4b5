"""Hourly uptime rollups packed a day to a row: the byte format of `uptime_days.data`.

The uptime and metrics endpoints read hours (and days, weeks, months made of them). A row
per hour and another per day (13 floats, the key and its index) took about 4.3 KB a day per
check on SQLite; packed here a day takes about 0.7 KB. The hour being written lives as a row
of integers in `uptime_hours` (writers add to it); the retention sweep folds finished hours
into their day's row here (SQL `data || new`, no read) and deletes them. A late run whose
hour was folded already makes a new live row, folded later as a second entry for the same
hour: readers add entries up. Days are not stored: integers add up exactly, so a day is the
sum of its hours.

Hours are kept for the hourly retention (31 days by default). After it the sweep adds a
day's entries up into one (`coarsen`), stored as the day's first hour: an older day answers
by the day (exactly, for days, weeks and months; as one point at midnight when asked by
the hour), and costs about 40 bytes instead of 700, so a check's rollups grow by about
15 KB a year instead of 250 KB.

An entry (integers are LEB128 varints; times are whole microseconds):

- a head byte: the hour's offset in the day (low 5 bits), 0x20 when runs were timed, 0x40
  when the values below are zig-zag encoded (only if one is negative: never measured, but
  not excluded by the types);
- runs, failed runs, timed runs;
- the seconds covered (up + down) as the zig-zag difference from a whole hour (one byte
  for a check that ran all hour), then the down time;
- when timed: the five phase sums (dns, connect, tls, first byte, download), the total's
  sum as its zig-zag difference from the phases' sum (curl's total is their sum), the
  minimum total and the maximum's distance from it.

A finished day is packed again by the retention sweep (`pack`): its entries merged per hour
and laid out column by column, each column packed to the bits its spread needs
(`store/bitpack.py`), as one entry with the head byte `_PACKED` and its length. A late hour
folded in after that is an ordinary entry after the block. The block's columns: a varint
mask of the hours present; over them runs, failed runs, timed runs, the seconds covered as
the difference from a whole hour, the down time; over the timed hours the five phase sums,
the total's difference from their sum, the minimum total and the maximum's distance from it.
With phases that jitter as measured ones do, an hour takes about 18 bytes instead of 30.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from lookout.store import bitpack, varint
from lookout.store.entries import added_up

HOURS_PER_ROW = 24
HOUR_US = 3_600_000_000

Hour = tuple[int, int, int, int, int, int, int | None, int | None, int, int, int, int, int]
"""(runs, failed, timed, up µs, down µs, sum total, min total, max total, sum dns, sum connect,
sum tls, sum first byte, sum download); min and max are None when nothing was timed."""

EMPTY: Hour = (0, 0, 0, 0, 0, 0, None, None, 0, 0, 0, 0, 0)
_SUMMED = (0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12)
_TIMED, _SIGNED = 0x20, 0x40
_PACKED = 0x80


def row_key(epoch_hour: int) -> tuple[int, int]:
    """(the row's day since the epoch, the hour's offset in it) of an hour since the epoch."""
    return divmod(epoch_hour, HOURS_PER_ROW)


def encode(offset: int, hour: Sequence[int | None]) -> bytes:
    """One entry; with no timed runs the timing values are not stored (they are zero)."""
    runs, failed, timed, up, down, total, low, high, *phases = hour
    assert runs is not None and failed is not None and timed is not None
    assert up is not None and down is not None and total is not None
    sums = [value or 0 for value in phases]
    if timed:
        assert low is not None and high is not None
        signed = down < 0 or low < 0 or high < low or any(value < 0 for value in sums)
    else:
        signed = down < 0
    put = varint.zigzag if signed else _plain
    out = bytearray((offset | (_TIMED if timed else 0) | (_SIGNED if signed else 0),))
    varint.write(out, runs)
    varint.write(out, failed)
    varint.write(out, timed)
    varint.write(out, varint.zigzag(up + down - HOUR_US))
    varint.write(out, put(down))
    if timed:
        assert low is not None and high is not None
        for value in sums:
            varint.write(out, put(value))
        varint.write(out, varint.zigzag(total - sum(sums)))
        varint.write(out, put(low))
        varint.write(out, put(high - low))
    return bytes(out)


def decode(day: int, data: bytes) -> Iterator[tuple[int, Hour]]:
    """(hour since the epoch, values) of each entry, in stored order; an hour may repeat."""
    position, end = 0, len(data)
    base = day * HOURS_PER_ROW
    while position < end:
        head = data[position]
        position += 1
        if head == _PACKED:
            length, position = varint.read(data, position)
            yield from _unpack(day, data[position : position + length])
            position += length
            continue
        get = varint.unzigzag if head & _SIGNED else _plain
        runs, position = varint.read(data, position)
        failed, position = varint.read(data, position)
        timed, position = varint.read(data, position)
        span, position = varint.read(data, position)
        down, position = varint.read(data, position)
        down = get(down)
        up = varint.unzigzag(span) + HOUR_US - down
        hour = base + (head & 0x1F)
        if not head & _TIMED:
            yield hour, (runs, failed, timed, up, down, 0, None, None, 0, 0, 0, 0, 0)
            continue
        phases = []
        for _ in range(5):
            value, position = varint.read(data, position)
            phases.append(get(value))
        delta, position = varint.read(data, position)
        low, position = varint.read(data, position)
        spread, position = varint.read(data, position)
        low = get(low)
        dns, connect, tls, first_byte, download = phases
        total = sum(phases) + varint.unzigzag(delta)
        yield (
            hour,
            (
                runs,
                failed,
                timed,
                up,
                down,
                total,
                low,
                low + get(spread),
                dns,
                connect,
                tls,
                first_byte,
                download,
            ),
        )


def pack(day: int, data: bytes) -> bytes | None:
    """The row's entries merged per hour as one block entry (see the module); None when the
    row is one block already, or would not shrink."""
    if data and data[0] == _PACKED:
        length, position = varint.read(data, 1)
        if position + length == len(data):
            return None
    merged = added_up(decode(day, data), merge)
    base = day * HOURS_PER_ROW
    mask = 0
    counted: list[list[int]] = [[] for _ in range(5)]
    timed_columns: list[list[int]] = [[] for _ in range(8)]
    for hour in sorted(merged):
        runs, failed, timed, up, down, total, low, high, *phases = merged[hour]
        assert runs is not None and failed is not None and timed is not None
        assert up is not None and down is not None and total is not None
        mask |= 1 << (hour - base)
        for column, value in zip(counted, (runs, failed, timed, up + down - HOUR_US, down), strict=True):
            column.append(value)
        if timed:
            assert low is not None and high is not None
            sums = [value or 0 for value in phases]
            for column, value in zip(timed_columns, (*sums, total - sum(sums), low, high - low), strict=True):
                column.append(value)
    body = bytearray()
    varint.write(body, mask)
    for column in (*counted, *timed_columns):
        bitpack.write(body, column)
    block = bytearray((_PACKED,))
    varint.write(block, len(body))
    block += body
    return bytes(block) if len(block) < len(data) else None


def _unpack(day: int, body: bytes) -> Iterator[tuple[int, Hour]]:
    mask, position = varint.read(body, 0)
    offsets = [offset for offset in range(mask.bit_length()) if mask >> offset & 1]
    counted = []
    for _ in range(5):
        column, position = bitpack.read(body, position, len(offsets))
        counted.append(column)
    timed_hours = sum(1 for timed in counted[2] if timed)
    timed_columns = []
    for _ in range(8):
        column, position = bitpack.read(body, position, timed_hours)
        timed_columns.append(iter(column))
    dns, connect, tls, first_byte, download, deltas, lows, spreads = timed_columns
    base = day * HOURS_PER_ROW
    for offset, runs, failed, timed, span, down in zip(offsets, *counted, strict=True):
        up = span + HOUR_US - down
        if not timed:
            yield base + offset, (runs, failed, timed, up, down, 0, None, None, 0, 0, 0, 0, 0)
            continue
        phases = (next(dns), next(connect), next(tls), next(first_byte), next(download))
        low = next(lows)
        total = sum(phases) + next(deltas)
        yield base + offset, (runs, failed, timed, up, down, total, low, low + next(spreads), *phases)


def coarsen(day: int, data: bytes) -> bytes | None:
    """The day's entries added up into one, stored as its first hour (offset 0); None when
    the day holds one entry already. What `uptime_days` keeps of a day once it is older than
    the hourly retention: about 40 bytes where 24 hours took about 700."""
    entries = [values for _, values in decode(day, data)]
    if len(entries) < 2:
        return None
    total = list(entries[0])
    for values in entries[1:]:
        merge(total, values)
    return encode(0, total)


def merge(into: list[int | None], hour: Sequence[int | None]) -> None:
    """Add one entry's values to a running hour (counts and sums add, extremes extend)."""
    for index in _SUMMED:
        into[index] = (into[index] or 0) + (hour[index] or 0)
    for index, pick in ((6, min), (7, max)):
        value = hour[index]
        if value is not None:
            current = into[index]
            into[index] = value if current is None else pick(current, value)


def _plain(value: int) -> int:
    return value
