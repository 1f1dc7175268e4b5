"""Turning pydantic errors into the Laravel-style messages the Oh Dear API answers with,
and the rules every value a client sends obeys whatever its field: integers within what
the databases store (a signed 64-bit integer) and text without control characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

_MESSAGES: dict[str, str] = {
    "missing": "The {attr} field is required.",
    "int_type": "The {attr} field must be an integer.",
    "int_parsing": "The {attr} field must be an integer.",
    "int_from_float": "The {attr} field must be an integer.",
    "float_type": "The {attr} field must be a number.",
    "float_parsing": "The {attr} field must be a number.",
    "string_type": "The {attr} field must be a string.",
    "bool_type": "The {attr} field must be true or false.",
    "bool_parsing": "The {attr} field must be true or false.",
    "list_type": "The {attr} field must be an array.",
    "dict_type": "The {attr} field must be an array.",
    "model_type": "The {attr} field must be an array.",
    "model_attributes_type": "The {attr} field must be an array.",
    "enum": "The selected {attr} is invalid.",
    "literal_error": "The selected {attr} is invalid.",
    "greater_than_equal": "The {attr} field must be at least {ge}.",
    "greater_than": "The {attr} field must be greater than {gt}.",
    "less_than_equal": "The {attr} field must not be greater than {le}.",
    "less_than": "The {attr} field must be less than {lt}.",
    "string_too_long": "The {attr} field must not be greater than {max_length} characters.",
    "string_too_short": "The {attr} field must be at least {min_length} characters.",
    "too_long": "The {attr} field must not have more than {max_length} items.",
    "too_short": "The {attr} field must have at least {min_length} items.",
}


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# Unicode's control characters: C0, DEL and C1. Free text (notes, a string to look for,
# a TCP send string) may hold tabs and line breaks; a name, url or tag is one line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Laravel's `integer` rule (PHP's FILTER_VALIDATE_INT): ASCII digits, an optional sign,
# surrounding whitespace ignored. Python's int() would also take "1_000" and "١٢".
_INTEGER = re.compile(r"\s*([+-]?)0*([0-9]+)\s*", re.ASCII)


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` holds a control character (tab, CR and LF are allowed if `multiline`)."""
    return (_CONTROL_IN_TEXT if multiline else _CONTROL).search(text) is not None


def control_characters_message(path: str) -> str:
    return f"The {attribute_name(path)} field must not contain control characters."


def int64_from_text(text: str) -> int | None:
    """The integer `text` spells within the signed 64-bit range, else None: what PHP's
    integer filter accepts, so what Laravel reads as an integer."""
    match = _INTEGER.fullmatch(text)
    if match is None or len(match[2]) > 19:  # checked before int() turns digits into a number
        return None
    number = int(match[1] + match[2])
    return number if INT64_MIN <= number <= INT64_MAX else None


def control_character_errors(value: Any, path: str, *, multiline: bool = False) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for each string inside a decoded JSON value that holds control
    characters; keys are not looked at (no model keeps an unknown key)."""
    for where, leaf in _leaves(value, path):
        if isinstance(leaf, str) and has_control_characters(leaf, multiline=multiline):
            yield where, control_characters_message(where)


def integer_range_errors(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for each integer inside a JSON value that no database column
    (nor the JSON writer) takes: one outside the signed 64-bit range."""
    for where, leaf in _leaves(value, path):
        if isinstance(leaf, bool) or not isinstance(leaf, int):
            continue
        if leaf > INT64_MAX:
            yield where, f"The {attribute_name(where)} field must not be greater than {INT64_MAX}."
        elif leaf < INT64_MIN:
            yield where, f"The {attribute_name(where)} field must be at least {INT64_MIN}."


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    # A stack, not recursion: a body nested as deep as the JSON parser allows must not
    # exhaust Python's recursion limit here.
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, Mapping):
            children = [(join_path(where, [str(key)]), child) for key, child in item.items()]
        elif isinstance(item, list):
            children = [(join_path(where, [index]), child) for index, child in enumerate(item)]
        else:
            yield where, item
            continue
        stack.extend(reversed(children))  # popped in document order


def attribute_name(path: str) -> str:
    """Laravel shows `uptime_check_settings.timeout` as `uptime check settings.timeout`."""
    return path.replace("_", " ")


def message_for(error: ErrorDetails, path: str) -> str:
    attr = attribute_name(path)
    kind = error["type"]
    if kind == "value_error":
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
        return f"The {attr} field {reason}."
    if kind == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return f"The {attr} field is required."
    template = _MESSAGES.get(kind, "The {attr} field is invalid.")
    return template.format(attr=attr, **error.get("ctx", {}))


def join_path(prefix: str, loc: Sequence[int | str]) -> str:
    return ".".join([prefix, *map(str, loc)] if prefix else [str(part) for part in loc])


def collect(errors: dict[str, list[str]], exc: ValidationError, prefix: str = "") -> None:
    """Add every error of `exc` to `errors`, keyed by dotted path under `prefix`."""
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        path = join_path(prefix, loc) or prefix
        errors.setdefault(path, []).append(message_for(error, path))


def _clean_loc(loc: Iterable[Any]) -> list[int | str]:
    # Pydantic adds function-validator names to the location; a person wants field names.
    return [part for part in loc if not (isinstance(part, str) and "[" in part)]
