"""Broken links, mixed content and sitemap against the generated loopback site: each report
lists exactly the faults planted in `tests/servers/site.py`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import trustme

from lookout.checks.base import CheckContext, Target
from lookout.checks.broken_links import BrokenLinksCheck, find_broken_links
from lookout.checks.mixed_content import MixedContentCheck
from lookout.checks.sitemap import SitemapCheck
from lookout.model.check_settings import BrokenLinksSettings, MixedContentSettings, SitemapSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import Outcome
from tests.servers.site import PAGES, Site, serve_site
from tests.servers.tls import server_context


@pytest_asyncio.fixture
async def site() -> AsyncIterator[Site]:
    async with serve_site() as running:
        yield running


@pytest_asyncio.fixture
async def tls_site(test_ca: trustme.CA) -> AsyncIterator[Site]:
    async with serve_site(server_context(test_ca, "127.0.0.1")) as running:
        yield running


def target(url: str) -> Target:
    return Target(1, MonitorType.HTTP, url)


def unlimited(**values: object) -> BrokenLinksSettings:
    return BrokenLinksSettings.model_validate(
        {"crawler_speed": "unlimited", "whitelisted_urls": ["*/ignored/*"], **values}
    )


PLANTED = {
    ("/missing-page", "/page/7", "link", 404, None),
    ("/img/missing.png", "/page/11", "image", 404, None),
    ("/js/missing.js", "/page/13", "script", 404, None),
    ("/css/gone.css", "/page/17", "stylesheet", 410, None),
    ("/img/og-missing.png", "/page/19", "og:image", 404, None),
    ("/server-error", "/page/23", "link", 500, None),
    ("/loop-a", "/page/29", "link", 302, "redirect loop (2 hops)"),
}


def _relative(site: Site, url: str) -> str:
    return url.removeprefix(site.base)


async def test_broken_links_lists_exactly_the_planted_faults(site: Site, ctx: CheckContext) -> None:
    # The endless calendar would go on for ever: the page bound holds it.
    report = await find_broken_links(target(site.url("/")), unlimited(), ctx, max_pages=PAGES + 60)
    found = {
        (
            _relative(site, link["crawled_url"]),
            _relative(site, link["found_on_url"]),
            link["type"],
            link["status_code"],
            link["error_message"],
        )
        for link in report.broken
    }
    assert found == PLANTED
    assert all(link["internal"] for link in report.broken)
    assert report.pages == PAGES + 60
    missing = next(link for link in report.broken if link["crawled_url"].endswith("/missing-page"))
    assert missing["link_text"] == "Link to /missing-page"
    assert site.hits[("GET", "/private/secret")] == 0 and site.hits[("HEAD", "/private/secret")] == 0
    assert site.hits[("GET", "/ignored/404")] == 0 and site.hits[("HEAD", "/ignored/404")] == 0
    # Never the same URL twice: HEAD then GET only where HEAD is not allowed.
    twice = {key: count for key, count in site.hits.items() if count > 1}
    assert twice == {}
    assert site.hits[("HEAD", "/img/head-405.png")] == 1 and site.hits[("GET", "/img/head-405.png")] == 1
    # The 50 MB page was cut at the crawler's bound, not read whole.
    assert site.huge_bytes_sent < 16 * 1024 * 1024


async def test_external_links_are_checked_only_when_asked(site: Site, ctx: CheckContext) -> None:
    report = await find_broken_links(
        target(site.url("/")),
        unlimited(check_include_external_links=True, types=["link"]),
        ctx,
        max_pages=120,
    )
    external = [link for link in report.broken if not link["internal"]]
    assert [(link["crawled_url"], link["status_code"]) for link in external] == [
        (site.external_base + "/missing", 404)
    ]


async def test_the_check_reports_findings_and_fails(site: Site, ctx: CheckContext) -> None:
    settings = unlimited(types=["image", "script"], do_not_crawl_urls=["*/calendar/*", "*/huge"])
    result = await BrokenLinksCheck().run(target(site.url("/")), settings, ctx)
    assert result.outcome is Outcome.FAILED
    assert result.summary == f"2 broken links ({PAGES + 1 + 5} pages crawled)"
    assert result.findings is not None
    assert sorted(f.payload["crawled_url"] for f in result.findings) == [
        site.url("/img/missing.png"),
        site.url("/js/missing.js"),
    ]
    assert site.hits[("GET", "/huge")] == 0 and site.hits[("GET", "/calendar/2026/1")] == 0


async def test_a_site_that_is_down_resolves_nothing(ctx: CheckContext) -> None:
    result = await BrokenLinksCheck().run(target("http://127.0.0.1:9/"), unlimited(), ctx)
    assert result.outcome is Outcome.FAILED and result.summary.startswith("Could not crawl")
    assert result.findings is None


async def test_mixed_content_lists_what_a_browser_would_load_over_http(
    tls_site: Site, ctx: CheckContext
) -> None:
    settings = MixedContentSettings.model_validate({"crawler_speed": "unlimited"})
    result = await MixedContentCheck().run(target(tls_site.url("/")), settings, ctx)
    assert result.outcome is Outcome.FAILED
    assert result.findings is not None
    found = {
        (f.payload["element_name"], f.payload["mixed_content_url"], f.payload["found_on_url"])
        for f in result.findings
    }
    m, page = tls_site.mixed_base, tls_site.url("/page/59")
    assert found == {
        ("img", f"{m}/img/1.png", page),
        ("script", f"{m}/js/app.js", page),
        ("link", f"{m}/css/site.css", page),
        ("iframe", f"{m}/page/1", page),
        ("video", f"{m}/media/clip.mp4", page),
        ("source", f"{m}/media/sound.mp3", page),
        ("object", f"{m}/media/thing.swf", page),
        ("form", f"{m}/submit", page),
    }
    assert result.summary == "Mixed content on 1 page"


async def test_mixed_content_on_a_plain_http_site_is_not_looked_for(site: Site, ctx: CheckContext) -> None:
    result = await MixedContentCheck().run(target(site.url("/")), MixedContentSettings(), ctx)
    assert (result.outcome, result.summary, result.findings) == (Outcome.SUCCEEDED, "Not an https site", ())


def sitemap_settings(path: str) -> SitemapSettings:
    return SitemapSettings.model_validate({"path": path, "speed": "unlimited"})


async def test_sitemap_index_with_a_gzipped_child(site: Site, ctx: CheckContext) -> None:
    result = await SitemapCheck().run(target(site.url("/")), sitemap_settings("sitemap.xml"), ctx)
    report = result.details
    assert report["checkUrl"] == site.url("/sitemap.xml")
    assert report["sitemapIndexes"] == [
        {
            "url": site.url("/sitemap.xml"),
            "issues": [
                {
                    "name": "UrlOnOtherHost",
                    "url": "http://other-host.test/sitemap-x.xml",
                    "responseCode": None,
                    "message": "not on 127.0.0.1:" + site.base.rsplit(":", 1)[1],
                }
            ],
        }
    ]
    pages, more = report["sitemaps"]
    assert (pages["url"], pages["urlCount"], pages["checkedReachabilityOfAllUrls"]) == (
        site.url("/sitemap-pages.xml"),
        102,
        True,
    )
    assert [(i["name"], i["url"], i["responseCode"]) for i in pages["issues"]] == [
        ("UrlOnOtherHost", "http://elsewhere.test/page", None),
        ("UrlNotReachable", site.url("/missing-page"), 404),
    ]
    assert (more["url"], more["urlCount"]) == (site.url("/sitemap-more.xml.gz"), 51)
    assert [(i["name"], i["url"], i["message"]) for i in more["issues"]] == [
        ("UrlNotReachable", site.url("/loop-a"), "redirect loop (2 hops)")
    ]
    assert report["totalIssuesCount"] == 4 and report["hasIssues"] is True
    assert report["totalUrlCount"] == 153 and report["issues"] == []
    assert result.outcome is Outcome.FAILED and result.summary == "4 sitemap issues"
    assert result.findings is not None and len(result.findings) == 4


async def test_an_xml_bomb_is_refused_at_once(site: Site, ctx: CheckContext) -> None:
    started = time.perf_counter()
    result = await SitemapCheck().run(target(site.url("/")), sitemap_settings("bomb.xml"), ctx)
    assert time.perf_counter() - started < 2
    assert [i["name"] for i in result.details["issues"]] == ["XmlRefused"]
    assert result.outcome is Outcome.FAILED and result.findings is None


@pytest.mark.parametrize(
    ("path", "name", "code"),
    [("not-xml.xml", "InvalidXml", None), ("nowhere.xml", "CouldNotLoadSitemapIndex", 404)],
)
async def test_unreadable_sitemaps(
    site: Site, ctx: CheckContext, path: str, name: str, code: int | None
) -> None:
    result = await SitemapCheck().run(target(site.url("/")), sitemap_settings(path), ctx)
    assert [(i["name"], i["url"], i["responseCode"]) for i in result.details["issues"]] == [
        (name, site.url(f"/{path}"), code)
    ]
    assert result.outcome is Outcome.FAILED


async def test_the_sitemap_path_never_leaves_the_site(site: Site, ctx: CheckContext) -> None:
    result = await SitemapCheck().run(target(site.url("/")), sitemap_settings("//evil.test/sitemap.xml"), ctx)
    assert result.details["checkUrl"] == site.url("/evil.test/sitemap.xml")


async def test_crawls_send_the_monitors_crawler_headers(
    site: Site, ctx: CheckContext, tmp_path: Path
) -> None:
    from lookout.app import build_services, open_store
    from lookout.engine.monitor_options import with_monitor_options
    from lookout.settings import Settings

    store = open_store(Settings(data_dir=tmp_path, run_engine=False))
    services = build_services(store)
    who = services.tokens.authenticate(services.tokens.create("crawl@e.test", "Crawlers").token)
    monitor = services.monitors.create(
        who,
        {
            "url": site.url("/"),
            "type": "http",
            "team_id": who.teams[0].id,
            "crawler_settings": {"headers": [{"name": "X-Crawl", "value": "from-the-monitor"}]},
        },
    )
    with_headers = with_monitor_options(ctx, store.sessions)
    crawl_target = Target(monitor.monitor.id, MonitorType.HTTP, site.url("/"))
    await BrokenLinksCheck().run(crawl_target, unlimited(), with_headers)
    assert site.crawl_header_values == {"from-the-monitor"}
    site.crawl_header_values.clear()
    await SitemapCheck().run(
        crawl_target, SitemapSettings(path="/sitemap.xml", speed="unlimited"), with_headers
    )
    assert site.crawl_header_values == {"from-the-monitor"}
