"""Rules about a monitor's target that do not depend on storage or the API."""

from __future__ import annotations

import ipaddress
import re
from typing import Protocol
from urllib.parse import urlsplit

import idna

from lookout.model.check_type import MonitorType

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.(?!-)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$"
)


class MonitorOptionSource(Protocol):
    """Monitor-level options a check may need (the crawl checks send the monitor's
    `crawler_headers`); supplied by the engine, read once per run."""

    async def crawler_headers(self, monitor_id: int) -> list[tuple[str, str]]: ...


def ascii_host(host: str) -> str | None:
    """An internationalised host name in its ASCII (punycode) form; None if it is not valid."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def ascii_url(value: str) -> str:
    """`value` with an internationalised host written in ASCII (`bücher.example` as
    `xn--bcher-kva.example`), so the guard, DNS, TLS SNI and HTTP all see one name.
    Anything else is left as it is, for the validation to judge."""
    if value.isascii():
        return value
    scheme, sep, rest = value.partition("://")
    if not sep:  # ping: a host; tcp: host:port
        host, colon, port = value.rpartition(":") if ":" in value else (value, "", "")
        encoded = ascii_host(host)
        return value if encoded is None else f"{encoded}{colon}{port}"
    authority, slash, tail = rest.partition("/")
    userinfo, at, host_port = authority.rpartition("@")
    host, colon, port = host_port.partition(":")
    encoded = ascii_host(host) if host and not host.isascii() else None
    if encoded is None:
        return value
    return f"{scheme}{sep}{userinfo}{at}{encoded}{colon}{port}{slash}{tail}"


def is_hostname_or_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return bool(_HOSTNAME.match(value))
    return True


def split_host_port(value: str) -> tuple[str, int] | None:
    """`host:port` or `[v6]:port` into its parts; None if it is not that shape."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^:\s/]+):(\d{1,5})", value)
    if not match:
        return None
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 1 <= port <= 65535 or not is_hostname_or_ip(host):
        return None
    return host, port


def is_http_url(value: str) -> bool:
    if not value.lower().startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    return bool(host) and is_hostname_or_ip(host) and (port is None or 1 <= port <= 65535)


def sort_url(url: str, monitor_type: MonitorType) -> str:
    """The URL without scheme and `www.`, as Oh Dear sorts and labels monitors."""
    text = url
    if monitor_type in (MonitorType.HTTP, MonitorType.AI):
        text = re.sub(r"^https?://", "", text, flags=re.IGNORECASE)
    if text.lower().startswith("www."):
        text = text[4:]
    return text.rstrip("/") if monitor_type in (MonitorType.HTTP, MonitorType.AI) else text


def uses_https(url: str) -> bool:
    return url.lower().startswith("https://")


def target_host(url: str, monitor_type: MonitorType) -> str:
    """The host name or IP address a monitor's checks connect to."""
    if monitor_type in (MonitorType.HTTP, MonitorType.AI):
        return urlsplit(url).hostname or ""
    if monitor_type is MonitorType.TCP:
        parts = split_host_port(url)
        return parts[0] if parts else url
    return url.strip("[]")
