"""Sitemaps (sitemaps.org): fetched with a size bound, gunzipped with a bound on what comes
out, and parsed with defusedxml, which refuses a DTD outright: no entity is ever expanded,
so an XML bomb is refused at its first declaration, before any memory is spent on it."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse

from lookout.net.http import HttpClient, HttpRequest, TransportError

MAX_SITEMAP_BYTES = 50 * 1024 * 1024
"""The protocol's limit, uncompressed; a larger sitemap is reported, not read on."""
MAX_URLS = 50_000
MAX_LOC_LENGTH = 2048
_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(Exception):
    """The sitemap could not be loaded or read; `issue` names the problem as A14 does."""

    def __init__(self, issue: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.issue = issue
        self.message = message
        self.status = status


@dataclass(slots=True)
class ParsedSitemap:
    """A `urlset` (locs are pages) or a `sitemapindex` (locs are sitemaps)."""

    kind: str
    locs: list[str] = field(default_factory=list)
    loc_count: int = 0
    """Every <loc> seen; `locs` keeps at most MAX_URLS + 1 of them."""


def gunzip(data: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """`data` decompressed, refusing more than `limit` bytes of output (a gzip bomb)."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise SitemapError("InvalidXml", f"not valid gzip: {exc}") from None
    if len(out) > limit:
        raise SitemapError("SitemapTooLarge", f"more than {limit} bytes once decompressed")
    return out


def parse(data: bytes) -> ParsedSitemap:
    """Parse a sitemap or sitemap index; CPU-bound, so callers run it in a thread."""
    if data[:2] == _GZIP_MAGIC:
        data = gunzip(data)
    parsed: ParsedSitemap | None = None
    try:
        events = safe_iterparse(
            io.BytesIO(data), events=("start", "end"), forbid_dtd=True, forbid_entities=True
        )
        for event, element in events:
            name = element.tag.rsplit("}", 1)[-1]
            if parsed is None:
                if name not in ("urlset", "sitemapindex"):
                    raise SitemapError("InvalidXml", f"the root element is <{name}>, not a sitemap")
                parsed = ParsedSitemap(name)
                root = element
                continue
            if event != "end":
                continue
            if name == "loc":
                parsed.loc_count += 1
                if len(parsed.locs) <= MAX_URLS:
                    parsed.locs.append((element.text or "").strip()[:MAX_LOC_LENGTH])
            elif name in ("url", "sitemap"):
                root.clear()  # keep memory flat over 50,000 entries
    except DefusedXmlException as exc:
        raise SitemapError("XmlRefused", f"refused: {type(exc).__name__} (no DTD or entities)") from None
    except ParseError as exc:
        raise SitemapError("InvalidXml", f"invalid XML: {exc}") from None
    if parsed is None:
        raise SitemapError("InvalidXml", "empty document")
    return parsed


async def fetch(client: HttpClient, url: str, headers: list[tuple[str, str]], timeout_s: float) -> bytes:
    """The sitemap's bytes (gzip still compressed unless the server used Content-Encoding)."""
    body = bytearray()
    too_large = False

    def keep(chunk: bytes) -> bool:
        nonlocal too_large
        body.extend(chunk)
        too_large = len(body) > MAX_SITEMAP_BYTES
        return not too_large

    request = HttpRequest(
        url=url,
        headers=headers,
        timeout_s=timeout_s,
        max_redirects=5,
        body_limit=MAX_SITEMAP_BYTES + 1,
        on_chunk=keep,
    )
    try:
        response = await client.fetch(request)
    except TransportError as exc:
        raise SitemapError("CouldNotLoad", exc.message) from None
    if not 200 <= response.status < 300:
        raise SitemapError("CouldNotLoad", f"HTTP {response.status}", status=response.status)
    if too_large or response.truncated:
        raise SitemapError("SitemapTooLarge", f"more than {MAX_SITEMAP_BYTES} bytes")
    return bytes(body)
