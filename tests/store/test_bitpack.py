"""Bit-packed integer columns (`store/bitpack.py`) round-trip, and take the bits their
spread needs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lookout.store import bitpack

_INTEGERS = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(st.lists(st.lists(_INTEGERS, max_size=40), max_size=4))
def test_columns_read_back_as_written(columns: list[list[int]]) -> None:
    data = bytearray(b"\x07")  # what came before in the row
    for column in columns:
        bitpack.write(data, column)
    position = 1
    for column in columns:
        values, position = bitpack.read(bytes(data), position, len(column))
        assert values == column
    assert position == len(data)


def test_a_column_takes_the_bits_of_its_spread() -> None:
    out = bytearray()
    bitpack.write(out, [120_000 + spread for spread in (0, 5_000, 16_383, 9)])  # 14 bits each
    assert len(out) == 3 + 1 + 7  # minimum (varint), width, 4 x 14 bits
    constant = bytearray()
    bitpack.write(constant, [42] * 30)
    assert len(constant) == 2  # the minimum and a width of 0: no value bits
    empty = bytearray()
    bitpack.write(empty, [])
    assert empty == b""
