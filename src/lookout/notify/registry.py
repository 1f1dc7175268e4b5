"""CHANNELS: the only map from a channel name to how its destination is checked and which
sender delivers it. Webhook and mail are ours; every other channel goes through Apprise."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lookout.errors import ValidationFailed
from lookout.notify.channels.apprise import BUILDERS, DestinationError, apprise_url, guarded_host

MAX_URL = 2048
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f<>,;\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CheckedDestination:
    destination: dict[str, Any]
    # Hosts the guard must allow before this destination is stored.
    hosts: tuple[str, ...]
    # The webhook secret given on create, taken out of the stored destination.
    secret: str | None = None


def sender_of(channel: str) -> str:
    """Which sender delivers a channel: webhook, mail or apprise."""
    return channel if channel in ("webhook", "mail") else "apprise"


CHANNELS: tuple[str, ...] = ("webhook", "mail", *BUILDERS)


def check_destination(channel: str, raw: Any) -> CheckedDestination:
    """The destination of a channel, checked field by field (422 errors under `destination.`)."""
    if channel not in CHANNELS:
        raise ValidationFailed({"channel": ["The selected channel is invalid."]})
    if not isinstance(raw, Mapping):
        raise ValidationFailed({"destination": ["The destination field must be an array."]})
    if len(raw) > 16:
        raise ValidationFailed({"destination": ["The destination field has too many keys."]})
    try:
        if channel == "webhook":
            return _webhook(raw)
        if channel == "mail":
            return _mail(raw)
        cleaned = {str(k): v for k, v in raw.items() if isinstance(v, str | int)}
        url = apprise_url(channel, cleaned)
        host = guarded_host(url)
        return CheckedDestination(cleaned, (host,) if host else ())
    except DestinationError as exc:
        raise ValidationFailed({f"destination.{exc.field}": [exc.message]}) from None


def _webhook(raw: Mapping[str, Any]) -> CheckedDestination:
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        raise DestinationError("url", "The destination.url field is required.")
    url = url.strip()
    if len(url) > MAX_URL:
        raise DestinationError(
            "url", f"The destination.url field must not be greater than {MAX_URL} characters."
        )
    parts = urlsplit(url)
    if _CONTROL.search(url) or " " in url or parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationError(
            "url", 'You should enter a url that starts with either "http://" or "https://".'
        )
    secret = raw.get("secret")
    if secret is not None and (
        not isinstance(secret, str) or not 8 <= len(secret) <= 255 or _CONTROL.search(secret)
    ):
        raise DestinationError("secret", "The destination.secret field must be 8 to 255 characters.")
    return CheckedDestination({"url": url}, (parts.hostname,), secret)


def _mail(raw: Mapping[str, Any]) -> CheckedDestination:
    mail = raw.get("mail")
    if not isinstance(mail, str) or not mail.strip():
        raise DestinationError("mail", "The destination.mail field is required.")
    mail = mail.strip()
    if len(mail) > 254 or _EMAIL.fullmatch(mail) is None:
        raise DestinationError("mail", "The destination.mail field must be a valid email address.")
    return CheckedDestination({"mail": mail}, ())
