"""LEB128 varints and zigzag signs: the byte codec of the packed rollup rows
(`minute_blob.py`, `hour_blob.py`)."""

from __future__ import annotations


def write(out: bytearray, value: int) -> None:
    """Append a non-negative integer, seven bits a byte."""
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def read(data: bytes, position: int) -> tuple[int, int]:
    """The integer at `position` and the position after it."""
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def zigzag(value: int) -> int:
    """A signed integer as a non-negative one (0, -1, 1, -2 ... as 0, 1, 2, 3 ...)."""
    return value * 2 if value >= 0 else -value * 2 - 1


def unzigzag(value: int) -> int:
    return value >> 1 if not value & 1 else -(value >> 1) - 1
