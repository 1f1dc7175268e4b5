"""RFC 9110 field grammar: what a header name and value a user types may hold.

The settings models refuse bad headers at save time; the HTTP client checks again before
sending, so a header that slipped past (older stored settings, another caller) can never
split a request.
"""

from __future__ import annotations

import string

TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")

# C0 controls, DEL and C1 controls; horizontal tab is ordinary whitespace in a field value.
_CONTROLS = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)])) - {"\t"}


def is_token(name: str) -> bool:
    """A field name is a non-empty token: letters, digits and !#$%&'*+-.^_`|~."""
    return bool(name) and TOKEN_CHARS.issuperset(name)


def has_control(value: str) -> bool:
    """Whether `value` holds CR, LF, NUL or any other control character but tab."""
    return not _CONTROLS.isdisjoint(value)


NAME_RULE = "must be a header name of letters, digits and !#$%&'*+-.^_`|~ only"
VALUE_RULE = "must not contain control characters"  # the words services.validation uses too
