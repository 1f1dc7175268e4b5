"""The URLs an HTML page refers to, found with selectolax (lexbor): links, images, scripts,
stylesheets and og:image for broken links, and everything else a browser loads (frames,
media, objects, form targets) for mixed content."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from lookout.net.crawl.urls import normalise

MAX_REFS_PER_PAGE = 10_000
MAX_TEXT = 200
_SELECTOR = ",".join(
    (
        "base[href]",
        "a[href]",
        "link[href]",
        "img[src]",
        "script[src]",
        "meta[property][content]",
        "iframe[src]",
        "video[src]",
        "video[poster]",
        "audio[src]",
        "source[src]",
        "object[data]",
        "form[action]",
    )
)


@dataclass(frozen=True, slots=True)
class Ref:
    """One reference on a page: the absolute URL, what kind of reference it is (`link`,
    `image`, `script`, `stylesheet`, `og:image`, `iframe`, `media`, `object`, `form`), the
    element it came from and its text (a link's words, an image's alt)."""

    url: str
    kind: str
    element: str
    text: str = ""
    raw: str = ""
    """The URL as written (absolute http:// in mixed content is decided on the resolved URL)."""


def extract(html: bytes | str, page_url: str) -> list[Ref]:
    tree = LexborHTMLParser(html)
    base = page_url
    refs: list[Ref] = []
    for node in tree.css(_SELECTOR):
        if len(refs) >= MAX_REFS_PER_PAGE:
            break
        tag = node.tag or ""
        attrs = node.attributes
        if tag == "base":
            if base == page_url:  # only the first <base> counts
                base = normalise(attrs.get("href") or "", page_url) or page_url
            continue
        found = _classify(tag, attrs, node)
        if found is None:
            continue
        kind, raw, text = found
        url = normalise(raw, base)
        if url is not None:
            refs.append(Ref(url, kind, tag, text[:MAX_TEXT], raw[:MAX_TEXT]))
    return refs


def _classify(tag: str, attrs: dict[str, str | None], node: LexborNode) -> tuple[str, str, str] | None:
    if tag == "a":
        text = node.text(separator=" ", strip=True)
        return "link", attrs.get("href") or "", " ".join(text.split())
    if tag == "link":
        rels = (attrs.get("rel") or "").lower().split()
        return ("stylesheet", attrs.get("href") or "", "") if "stylesheet" in rels else None
    if tag == "img":
        return "image", attrs.get("src") or "", attrs.get("alt") or ""
    if tag == "script":
        return "script", attrs.get("src") or "", ""
    if tag == "meta":
        if (attrs.get("property") or "").lower() != "og:image":
            return None
        return "og:image", attrs.get("content") or "", ""
    if tag == "iframe":
        return "iframe", attrs.get("src") or "", ""
    if tag in ("video", "audio", "source"):
        return "media", attrs.get("src") or attrs.get("poster") or "", ""
    if tag == "object":
        return "object", attrs.get("data") or "", ""
    if tag == "form":
        return "form", attrs.get("action") or "", ""
    return None
