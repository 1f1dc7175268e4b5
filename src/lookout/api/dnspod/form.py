"""Form bodies as DNSPod clients send them: urlencoded, UTF-8, bounded.

Repeated parameters: the last one wins (PHP's `$_POST` does the same, and clients that
repeat a parameter mean the later one). Parameters in the query string count too, under
the body's. Unknown parameters are kept and ignored by the actions.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
MAX_VALUE_CHARS = 4096


class FormTooLarge(Exception):  # noqa: N818 - reads as what happened
    pass


def parse(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="replace")
    except ValueError:
        raise FormTooLarge from None
    for name, value in pairs:
        if len(name) > 64:
            continue
        fields[name] = value[: MAX_VALUE_CHARS + 1]
    return fields


async def read_form(request: Request) -> dict[str, str]:
    """Query string parameters overlaid by the body's; FormTooLarge past the bounds."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise FormTooLarge
    fields = parse(request.url.query) if request.url.query else {}
    fields.update(parse(body.decode("utf-8", "replace")))
    return fields


class Params:
    """Typed reads of a form; every value is text, at most MAX_VALUE_CHARS long."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if len(value) > MAX_VALUE_CHARS or "\x00" in value:
            return "\x00invalid"  # fails every rule downstream
        return value

    def get(self, name: str, default: str = "") -> str:
        value = self.text(name)
        return default if value is None else value

    def integer(self, name: str) -> int | None:
        """A non-negative integer, or None when missing or not one."""
        value = self.get(name).strip()
        if not value or not value.isascii() or not value.isdigit() or len(value) > 12:
            return None
        return int(value)

    def present(self, name: str) -> bool:
        return bool(self.get(name).strip())
