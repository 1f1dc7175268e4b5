"""The shape every DNS value a client sends must have: pure functions, no I/O.

Each returns the normalised value or raises ValueError; callers turn that into their reason.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SUB_LABEL = re.compile(r"^(?:\*|_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?|_?[a-z0-9])$")
DEFAULT_LINES = ("默认", "default", "Default")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA")
MONITORABLE_TYPES = ("A", "AAAA", "CNAME")
MAX_TTL = 604_800
MIN_TTL = 1


def domain_name(text: str) -> str:
    """A registrable-looking domain in its ASCII (punycode) form, lower case."""
    name = text.strip().rstrip(".").lower()
    if not name or len(name) > 253:
        raise ValueError("bad length")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a domain name") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("not a domain name")
    return ascii_name


def host_name(text: str) -> str:
    """A host name (for Host headers and CNAME targets)."""
    return domain_name(text)


def display_name(ascii_name: str) -> str:
    try:
        return ascii_name.encode("ascii").decode("idna")
    except UnicodeError:
        return ascii_name


def sub_domain(text: str) -> str:
    value = text.strip().lower() or "@"
    if value == "@":
        return value
    if len(value) > 200:
        raise ValueError("too long")
    labels = value.split(".")
    if not all(_SUB_LABEL.match(label) for label in labels):
        raise ValueError("bad label")
    if "*" in labels[1:]:
        raise ValueError("wildcard only first")
    return value


def line(text: str) -> str:
    value = text.strip()
    if value in DEFAULT_LINES or value == "":
        return "默认"
    raise ValueError("unknown line")


def line_id(text: str) -> str:
    if text.strip() in ("0", "10=0"):
        return "默认"
    raise ValueError("unknown line id")


def ttl(text: str) -> int:
    value = int_in(text, MIN_TTL, MAX_TTL)
    return value


def int_in(text: str, low: int, high: int) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise ValueError("not an integer")
    number = int(value)
    if not low <= number <= high:
        raise ValueError("out of range")
    return number


def ip_of_family(text: str, record_type: str) -> str:
    address = ipaddress.ip_address(text.strip())
    if (record_type == "A") != (address.version == 4):
        raise ValueError("wrong family")
    return str(address)


def record_value(record_type: str, text: str) -> str:
    value = text.strip()
    if not value or len(value) > 512 or any(ord(ch) < 32 for ch in value):
        raise ValueError("bad value")
    if record_type in ("A", "AAAA"):
        return ip_of_family(value, record_type)
    if record_type in ("CNAME", "NS"):
        return host_name(value)
    if record_type == "MX":
        return host_name(value)
    return value
