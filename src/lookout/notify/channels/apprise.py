"""Apprise for every other service, each mapped from Oh Dear's `channel` + `destination`
shape to an Apprise URL, and a raw `apprise` channel taking any supported Apprise URL.

Apprise is synchronous: a send runs in a thread and is waited for at most `timeout_s`.
URLs whose host is the user's own server (json://, gotify://, mmost://, ntfy with a
server, ...) pass the target guard before they are stored and again before each send.
Local-desktop schemes (dbus, windows, ...) make no sense on a server and are refused.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import apprise

from lookout.net.guard import TargetGuard, TargetRefused
from lookout.net.resolve import ResolveError
from lookout.notify.base import DeliveryFailed, Outgoing

TIMEOUT_S = 20.0
MAX_URL = 2048

# Schemes whose URL host is the server Apprise dials: guarded like any user target.
HOST_SCHEMES = frozenset(
    [
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "mmost",
        "mmosts",
        "gotify",
        "gotifys",
        "ntfy",
        "ntfys",
        "matrix",
        "matrixs",
        "rocket",
        "rockets",
        "apprise",
        "apprises",
        "nctalk",
        "nctalks",
        "ncloud",
        "nclouds",
        "mastodon",
        "mastodons",
        "toot",
        "toots",
        "misskey",
        "misskeys",
        "synology",
        "synologys",
        "hassio",
        "hassios",
        "kodi",
        "kodis",
        "xbmc",
        "xbmcs",
        "emby",
        "embys",
        "jellyfin",
        "jellyfins",
        "enigma2",
        "enigma2s",
        "gorush",
        "gorushs",
        "goalert",
        "goalerts",
        "humhub",
        "humhubs",
        "pjet",
        "pjets",
        "signal",
        "signals",
        "smseagle",
        "smseagles",
        "bark",
        "barks",
        "mqtt",
        "mqtts",
        "rsyslog",
        "mailto",
        "mailtos",
        "irc",
        "ircs",
        "xmpp",
        "xmpps",
        "amqp",
        "amqps",
        "deltachat",
        "deltachats",
        "smpp",
        "smpps",
        "growl",
        "notica",
        "noticas",
        "parsep",
        "parseps",
        "pushdeer",
        "pushdeers",
        "evolution",
        "evolutions",
        "fluxer",
        "fluxers",
        "flowtriq",
        "flowtriqs",
        "onebot",
        "onebots",
        "opsimate",
        "opsimates",
        "pinglet",
        "pinglets",
        "psafer",
        "psafers",
        "trigv",
        "trigvs",
        "lametric",
        "lametrics",
    ]
)
# Desktop and local-machine schemes: nothing for a server to send to.
REFUSED_SCHEMES = frozenset(["dbus", "glib", "gnome", "kde", "macosx", "windows", "qt", "blink1", "syslog"])


class DestinationError(ValueError):
    """`field` (under `destination.`) and a message for a person."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _text(destination: Mapping[str, Any], key: str, *, limit: int = 512) -> str:
    value = destination.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DestinationError(key, f"The destination.{key} field is required.")
    value = value.strip()
    if len(value) > limit:
        raise DestinationError(
            key, f"The destination.{key} field must not be greater than {limit} characters."
        )
    if re.search(r"[\x00-\x20\x7f]", value):
        raise DestinationError(
            key, f"The destination.{key} field must not contain spaces or control characters."
        )
    return value


def _token(destination: Mapping[str, Any], key: str) -> str:
    return quote(_text(destination, key, limit=256), safe="")


def _https_url(destination: Mapping[str, Any], key: str) -> str:
    url = _text(destination, key, limit=MAX_URL)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise DestinationError(key, f"The destination.{key} field must be an http(s) URL.")
    return url


def _server(destination: Mapping[str, Any], key: str, scheme: str) -> str:
    """http(s)://host[:port][/path] -> scheme(s)://host[:port][/path]."""
    parts = urlsplit(_https_url(destination, key))
    secure = "s" if parts.scheme == "https" else ""
    return f"{scheme}{secure}://{parts.netloc}{parts.path.rstrip('/')}"


def _native(key: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda d: _https_url(d, key)


def _mattermost(d: Mapping[str, Any]) -> str:
    # https://chat.example.com/hooks/KEY -> mmosts://chat.example.com/KEY
    parts = urlsplit(_https_url(d, "webhook_url"))
    path = parts.path.rstrip("/")
    if "/hooks/" not in path:
        raise DestinationError("webhook_url", "The destination.webhook_url field must end in /hooks/{key}.")
    prefix, key = path.rsplit("/hooks/", 1)
    secure = "s" if parts.scheme == "https" else ""
    return f"mmost{secure}://{parts.netloc}{prefix}/{quote(key, safe='')}"


def _ntfy(d: Mapping[str, Any]) -> str:
    topic = _token(d, "topic")
    if d.get("server"):
        return f"{_server(d, 'server', 'ntfy')}/{topic}"
    return f"ntfys://ntfy.sh/{topic}"


def _raw(d: Mapping[str, Any]) -> str:
    url = _text(d, "url", limit=MAX_URL)
    scheme = urlsplit(url).scheme.lower()
    if scheme in REFUSED_SCHEMES:
        raise DestinationError("url", f"The destination.url scheme {scheme}:// is not available on a server.")
    return url


# channel -> how its Oh Dear-style destination becomes an Apprise URL.
BUILDERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "slack": _native("webhook_url"),
    "discord": _native("webhook_url"),
    "teams": _native("webhook_url"),
    "google_chat": _native("webhook_url"),
    "mattermost": _mattermost,
    "telegram": lambda d: (
        f"tgram://{quote(_text(d, 'bot_token', limit=256), safe=':')}/{_token(d, 'chat_id')}"
    ),
    "pushover": lambda d: f"pover://{_token(d, 'user_key')}@{_token(d, 'api_token')}",
    "ntfy": _ntfy,
    "gotify": lambda d: f"{_server(d, 'url', 'gotify')}/{_token(d, 'token')}",
    "pagerduty": lambda d: f"pagerduty://{_token(d, 'integration_key')}@{_token(d, 'api_key')}",
    "opsgenie": lambda d: f"opsgenie://{_token(d, 'api_key')}",
    "matrix": lambda d: _matrix(d),
    "apprise": _raw,
}


def _matrix(d: Mapping[str, Any]) -> str:
    parts = urlsplit(_https_url(d, "homeserver"))
    secure = "s" if parts.scheme == "https" else ""
    room = _text(d, "room", limit=256)
    return f"matrix{secure}://{_token(d, 'access_token')}@{parts.netloc}/{quote(room, safe='#!:')}"


def apprise_url(channel: str, destination: Mapping[str, Any]) -> str:
    """The Apprise URL for a destination; DestinationError when it is malformed or Apprise
    does not understand it."""
    url = BUILDERS[channel](destination)
    if apprise.Apprise.instantiate(url) is None:
        field = "url" if channel == "apprise" else next(iter(_fields_of(destination)), "url")
        raise DestinationError(field, f"The destination.{field} field is not a valid {channel} destination.")
    return url


def _fields_of(destination: Mapping[str, Any]) -> list[str]:
    return [key for key in destination if isinstance(key, str)]


def guarded_host(url: str) -> str | None:
    """The host Apprise will dial for `url` when it is the user's choice, else None."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in HOST_SCHEMES:
        return None
    if scheme in ("ntfy", "ntfys") and not parts.path.strip("/"):
        return None  # ntfy://topic: the public ntfy.sh
    host = parts.hostname
    return host or None


async def check_target(guard: TargetGuard, url: str) -> None:
    host = guarded_host(url)
    if host is None:
        return
    try:
        await guard.check(host)
    except TargetRefused as exc:
        raise DestinationError("url", f"The destination host is not allowed: {exc.reason}.") from None
    except ResolveError:
        raise DestinationError("url", f"The destination host {host} does not resolve.") from None


class AppriseChannel:
    def __init__(self, guard: TargetGuard, timeout_s: float = TIMEOUT_S) -> None:
        self._guard = guard
        self._timeout_s = timeout_s

    async def send(self, message: Outgoing) -> None:
        try:
            url = apprise_url(message.channel, message.destination)
            await check_target(self._guard, url)
        except DestinationError as exc:
            raise DeliveryFailed(exc.message) from None
        rendered = message.rendered
        try:
            ok = await asyncio.wait_for(
                asyncio.to_thread(_notify, url, rendered.subject, rendered.text), self._timeout_s
            )
        except TimeoutError:
            raise DeliveryFailed(f"no answer within {self._timeout_s:g} s") from None
        if not ok:
            raise DeliveryFailed(f"{message.channel}: the service did not accept the message")


def _notify(url: str, title: str, body: str) -> bool:
    sender = apprise.Apprise()
    if not sender.add(url):
        return False
    return bool(sender.notify(title=title, body=body))
