"""URLs as the crawler compares them: normalised, fragment stripped, same site or not,
and the simple `*` patterns users write for URLs to skip or ignore."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=65_536)
def normalise(url: str, base: str | None = None) -> str | None:
    """The absolute http(s) URL `url` names (relative to `base`), without its fragment, with
    scheme and host in lower case, the default port dropped and an empty path as "/".

    None for what a crawler cannot fetch: other schemes (mailto:, javascript:, data:),
    malformed URLs and URLs longer than MAX_URL_LENGTH.
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    try:
        absolute = urljoin(base, url) if base else url
        parts = urlsplit(absolute)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        port = parts.port
    except ValueError:  # a bad port or IPv6 literal
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    normalised = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return normalised if len(normalised) <= MAX_URL_LENGTH else None


def site_of(url: str) -> str:
    """What "the same site" compares: host and port, without a leading "www."."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    return host if port in (None, default) else f"{host}:{port}"


def same_site(url: str, site: str) -> bool:
    return site_of(url) == site


class UrlPatterns:
    """Patterns like `https://example.com/private/*`, `*/edit` or `*forum*`: a URL matches
    when the pattern, with `*` standing for any run of characters, matches it from its start
    (a pattern without `*` is a prefix). Matching walks each pattern's pieces once, so a
    hostile pattern costs time linear in the URL, never a regex's backtracking."""

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(_pieces(p) for p in patterns if p.strip())

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, url: str) -> bool:
        return any(_match(pieces, url) for pieces in self._patterns)


def _pieces(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.strip()[:MAX_URL_LENGTH].split("*"))


def _match(pieces: tuple[str, ...], url: str) -> bool:
    head, *rest = pieces
    if not url.startswith(head):
        return False
    at = len(head)
    for piece in rest:
        found = url.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True  # what follows the last piece is free: a pattern is a prefix
