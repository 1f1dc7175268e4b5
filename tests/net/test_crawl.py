"""The crawler against the generated loopback site: bounds, politeness, robots.txt, headers,
forced and skipped URLs, one fetch per URL; and its pure parts (URLs, patterns, extraction,
sitemap parsing)."""

from __future__ import annotations

import gzip
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from lookout.net.crawl import CrawlConfig, Crawler, Page, Politeness, UrlPatterns, extract, normalise
from lookout.net.crawl import sitemap as sitemaps
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from tests.servers.site import BOMB, HUGE_BYTES, PAGES, Site, serve_site

FAST = Politeness(32, 0.0)


@pytest_asyncio.fixture
async def site() -> AsyncIterator[Site]:
    async with serve_site() as running:
        yield running


def crawler(site: Site, http_client: HttpClient, path: str = "/", **config: object) -> Crawler:
    values: dict[str, object] = {"politeness": FAST, **config}
    return Crawler(http_client, CrawlConfig(start_url=site.url(path), **values))  # type: ignore[arg-type]


async def test_an_endless_calendar_stops_at_the_page_bound(site: Site, http_client: HttpClient) -> None:
    walk = crawler(site, http_client, "/calendar/2026/1", max_pages=50, max_depth=10_000)
    stats = await walk.crawl()
    assert stats.pages == 50 and stats.stopped_by == "max_pages"
    calendar_hits = sum(n for (method, path), n in site.hits.items() if path.startswith("/calendar/"))
    assert calendar_hits == 50


async def test_the_depth_bound_holds(site: Site, http_client: HttpClient) -> None:
    pages: list[Page] = []
    walk = Crawler(
        http_client,
        CrawlConfig(start_url=site.url("/calendar/2026/1"), politeness=FAST, max_depth=2),
        on_page=pages.append,
    )
    await walk.crawl()
    # Depth 0: one month; 1: next, previous, next year; 2: their new neighbours.
    assert max(page.depth for page in pages) == 2
    assert len(pages) == 1 + 3 + 5


async def test_a_50_mb_page_is_never_read_whole(site: Site, http_client: HttpClient) -> None:
    pages: list[Page] = []
    walk = Crawler(
        http_client,
        CrawlConfig(start_url=site.url("/huge"), politeness=FAST, max_page_bytes=1 << 20),
        on_page=pages.append,
    )
    stats = await walk.crawl()
    assert [page.fetched.status for page in pages] == [200]
    assert pages[0].fetched.bytes_read == stats.max_bytes_of_one_response <= 1 << 20
    assert site.huge_bytes_sent < HUGE_BYTES / 4


async def test_every_url_is_fetched_once_and_robots_txt_is_honoured(
    site: Site, http_client: HttpClient
) -> None:
    walk = crawler(site, http_client, max_pages=PAGES + 40, skip=UrlPatterns(["*/calendar/*"]))
    stats = await walk.crawl()
    assert {count for count in site.hits.values()} == {1}
    assert ("GET", "/private/secret") not in site.hits and stats.skipped_by_robots == 1
    assert ("GET", "/calendar/2026/1") not in site.hits
    assert ("GET", "/robots.txt") in site.hits
    assert (await walk.final(site.url("/loop-a"))).error == "redirect loop (2 hops)"  # type: ignore[union-attr]
    assert (await walk.final(site.url("/redirect-ok"))).status == 200  # type: ignore[union-attr]


async def test_robots_txt_can_be_ignored(site: Site, http_client: HttpClient) -> None:
    await crawler(
        site, http_client, respect_robots=False, skip=UrlPatterns(["*/calendar/*", "*/huge"])
    ).crawl()
    assert site.hits[("GET", "/private/secret")] == 1 and ("GET", "/robots.txt") not in site.hits


async def test_forced_urls_and_headers(site: Site, http_client: HttpClient) -> None:
    walk = crawler(
        site, http_client, "/orphan-child", force_urls=["/orphan"], headers=[("X-Crawl", "yes")], max_pages=5
    )
    await walk.crawl()
    assert site.hits[("GET", "/orphan")] == 1 and site.hits[("GET", "/orphan-child")] == 1
    assert site.crawl_header_values == {"yes"}


async def test_politeness_limits_concurrency_and_spaces_requests(site: Site, http_client: HttpClient) -> None:
    started = time.perf_counter()
    await crawler(site, http_client, "/slow", politeness=Politeness(1, 0.1), max_pages=4).crawl()
    # robots.txt and four pages, one at a time, each start 100 ms after the one before.
    assert time.perf_counter() - started >= 0.4
    assert site.max_in_flight == 1 and sum(site.hits.values()) == 5


@pytest.mark.parametrize(("speed", "fewest", "most"), [(Politeness(4, 0.0), 2, 4), (FAST, 5, 8)])
async def test_concurrency_per_host(
    site: Site, http_client: HttpClient, speed: Politeness, fewest: int, most: int
) -> None:
    # Eight pages that take 200 ms each: as many at once as the speed allows, never more.
    await crawler(site, http_client, "/slow", politeness=speed).crawl()
    assert fewest <= site.max_in_flight <= most


async def test_every_hop_passes_the_guard(http_client: HttpClient, guard: TargetGuard) -> None:
    walk = Crawler(http_client, CrawlConfig(start_url="http://127.0.0.1:9/", politeness=FAST))
    answer = await walk.probe("http://169.254.169.254/latest/meta-data/")
    assert answer.error_kind == "blocked" and answer.status is None


def test_urls_are_normalised() -> None:
    assert normalise("HTTP://Example.COM:80#top") == "http://example.com/"
    assert normalise("../b?x=1#f", "https://example.com:443/a/c") == "https://example.com/b?x=1"
    assert normalise("https://example.com:8443/") == "https://example.com:8443/"
    for unusable in ("mailto:a@b.c", "javascript:void(0)", "data:,x", "http://[::1", "x" * 3000, "ftp://a/"):
        assert normalise(unusable, "https://example.com/") is None


def test_patterns_match_without_backtracking() -> None:
    patterns = UrlPatterns(["https://a.test/private/*", "*/edit", "*forum*"])
    assert patterns.matches("https://a.test/private/x")
    assert patterns.matches("https://b.test/post/1/edit")
    assert patterns.matches("https://b.test/my-forum/1")
    assert not patterns.matches("https://a.test/public/")
    hostile = UrlPatterns(["*a" * 500 + "*b"])
    started = time.perf_counter()
    assert not hostile.matches("a" * 2000)
    assert time.perf_counter() - started < 0.1


def test_extraction_finds_every_kind() -> None:
    html = (
        '<base href="https://cdn.test/x/"><a href="p">Read <b>more</b></a>'
        '<img src="i.png" alt="pic"><script src="s.js"></script><link rel="Stylesheet" href="c.css">'
        '<link rel="icon" href="f.ico"><meta property="og:image" content="/og.png">'
        '<iframe src="http://f.test/"></iframe><video poster="v.jpg"></video><source src="a.mp3">'
        '<object data="o.swf"></object><form action="/go"></form><a href="mailto:x@y.z">mail</a>'
    )
    found = [(ref.kind, ref.element, ref.url, ref.text) for ref in extract(html, "https://site.test/")]
    assert found == [
        ("link", "a", "https://cdn.test/x/p", "Read more"),
        ("image", "img", "https://cdn.test/x/i.png", "pic"),
        ("script", "script", "https://cdn.test/x/s.js", ""),
        ("stylesheet", "link", "https://cdn.test/x/c.css", ""),
        ("og:image", "meta", "https://cdn.test/og.png", ""),
        ("iframe", "iframe", "http://f.test/", ""),
        ("media", "video", "https://cdn.test/x/v.jpg", ""),
        ("media", "source", "https://cdn.test/x/a.mp3", ""),
        ("object", "object", "https://cdn.test/x/o.swf", ""),
        ("form", "form", "https://cdn.test/go", ""),
    ]


def test_an_xml_bomb_is_refused_quickly_and_small() -> None:
    started = time.perf_counter()
    with pytest.raises(sitemaps.SitemapError) as refused:
        sitemaps.parse(BOMB)
    assert refused.value.issue == "XmlRefused" and time.perf_counter() - started < 0.5


def test_a_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" * (sitemaps.MAX_SITEMAP_BYTES + 10))
    with pytest.raises(sitemaps.SitemapError) as refused:
        sitemaps.parse(bomb)
    assert refused.value.issue == "SitemapTooLarge"


def test_more_than_50000_urls_are_counted_not_kept() -> None:
    body = "".join(f"<url><loc>https://a.test/{i}</loc></url>" for i in range(50_010))
    parsed = sitemaps.parse(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()
    )
    assert parsed.kind == "urlset" and parsed.loc_count == 50_010 and len(parsed.locs) == 50_001
