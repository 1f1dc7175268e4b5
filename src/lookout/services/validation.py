"""Turning pydantic errors into the Laravel-style messages the Oh Dear API answers with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
