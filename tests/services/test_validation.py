"""The rules every client value obeys: 64-bit integers as Laravel reads them, and text
without control characters."""

from __future__ import annotations

import pytest

from lookout.services import validation
from lookout.services.validation import INT64_MAX, INT64_MIN


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        (" 42 ", 42),
        ("+7", 7),
        ("-7", -7),
        ("007", 7),
        (str(INT64_MAX), INT64_MAX),
        (str(INT64_MIN), INT64_MIN),
        ("0" * 40 + "5", 5),
    ],
)
def test_integers_php_would_read(text: str, number: int) -> None:
    assert validation.int64_from_text(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "1.0",
        "1e3",
        "1_000",
        "²",
        "١٢",
        "0x10",
        "--1",
        str(INT64_MAX + 1),
        str(INT64_MIN - 1),
        "9" * 5000,
    ],
)
def test_what_is_no_64_bit_integer(text: str) -> None:
    assert validation.int64_from_text(text) is None


def test_control_characters_and_the_free_text_exceptions() -> None:
    for char in ("\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r"):
        assert validation.has_control_characters(f"a{char}b"), repr(char)
    for char in ("\t", "\n", "\r"):
        assert not validation.has_control_characters(f"a{char}b", multiline=True), repr(char)
    for char in ("\x00", "\x0b", "\x0c", "\x1b", "\x7f", "\x85"):
        assert validation.has_control_characters(f"a{char}b", multiline=True), repr(char)
    assert not validation.has_control_characters("émoji 🎉 and U+2028\u2028")


def test_errors_are_keyed_by_dotted_path_in_document_order() -> None:
    value = {"a": ["ok", "b\x00d", {"c": "\x01"}], "k\x00": "keys are not looked at", "n": 2**63}

    assert list(validation.control_character_errors(value, "settings")) == [
        ("settings.a.1", "The settings.a.1 field must not contain control characters."),
        ("settings.a.2.c", "The settings.a.2.c field must not contain control characters."),
    ]
    assert list(validation.integer_range_errors(value, "settings")) == [
        ("settings.n", f"The settings.n field must not be greater than {INT64_MAX}."),
    ]
    assert list(validation.integer_range_errors([INT64_MIN - 1, True, INT64_MIN], "x")) == [
        ("x.0", f"The x.0 field must be at least {INT64_MIN}."),
    ]


def test_a_value_nested_past_the_recursion_limit_is_walked() -> None:
    value: object = "\x00"
    for _ in range(5000):
        value = [value]
    [(path, _message)] = validation.control_character_errors(value, "deep")
    assert path == "deep" + ".0" * 5000
