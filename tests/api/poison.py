"""What people send by accident, mixed into schemathesis's generated data.

Schema-driven generation rarely produces the values that broke the API when a person
tried them: integers past the database's range (`page[number]=100000000000000000`), NUL
bytes, CR/LF and other control characters in text. `poisoned(value)` replaces one leaf
of a generated value (a query or path parameter, a body field at any depth) with one of
those.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

HUGE_INTEGERS = [2**31, 2**63 - 1, 2**63, 10**17, 10**30, -(2**63) - 1]
# Integers arrive as text in query strings and paths.
HUGE_TEXTS = [str(number) for number in HUGE_INTEGERS] + ["9" * 5000]
CONTROL_CHARACTERS = ["\x00", "\r\n", "\n", "\r", "\t", "\x1b", "\x7f", "\x85"]

Path = tuple[str | int, ...]


def leaves(value: Any, path: Path = ()) -> list[tuple[Path, Any]]:
    """Every string and integer inside a JSON value, with where it is."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in leaves(item, (*path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in leaves(item, (*path, index))]
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return [(path, value)]
    return []


def replaced(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    assert isinstance(value, list) and isinstance(head, int)
    return [replaced(item, rest, new) if index == head else item for index, item in enumerate(value)]


@st.composite
def poisoned(draw: st.DrawFn, value: Any) -> Any:
    spots = leaves(value)
    if not spots:
        return value
    path, leaf = draw(st.sampled_from(spots))
    if isinstance(leaf, int):
        return replaced(value, path, draw(st.sampled_from(HUGE_INTEGERS)))
    if draw(st.booleans()):
        return replaced(value, path, draw(st.sampled_from(HUGE_TEXTS)))
    at = draw(st.integers(min_value=0, max_value=len(leaf)))
    return replaced(value, path, leaf[:at] + draw(st.sampled_from(CONTROL_CHARACTERS)) + leaf[at:])
