"""Broken links: crawl the site and check every link, image, script, stylesheet and
og:image its pages refer to (HEAD, then GET where HEAD is not supported or fails).

Each (broken URL, page it is on) is a finding, so a link broken yesterday and still broken
today is no news, a new one is (a `changed` event), and a fixed one is resolved. A URL is
broken when it does not answer 2xx or 3xx at the end of its redirects, or answers nothing
(a timeout, a refused connection, a redirect loop).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from lookout.checks.base import Check, CheckContext, FindingsSpec, Pool, Target
from lookout.checks.results import finish
from lookout.checks.site_crawl import (
    CRAWL_BUDGET_S,
    MAX_FINDINGS,
    MAX_PAGES,
    MAX_PAGES_PER_URL,
    crawl_config,
    finding_key,
    monitor_crawler_headers,
)
from lookout.model.check_settings import BrokenLinksSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.findings import DiffKind
from lookout.model.result import CheckResult, Finding, Outcome
from lookout.net.crawl import Crawler, Fetched, Page, UrlPatterns, same_site


class BrokenLinksDetails(TypedDict, total=False):
    pages_crawled: int
    urls_checked: int
    broken_count: int
    requests: int
    stopped_by: str | None
    skipped_by_robots: int


class BrokenLink(TypedDict):
    """One finding's payload: the A10 item without the relative URLs the API derives."""

    status_code: int | None
    crawled_url: str
    found_on_url: str
    link_text: str
    type: str
    error_message: str | None
    internal: bool


@dataclass(slots=True)
class _Seen:
    kind: str
    places: list[tuple[str, str]] = field(default_factory=list)
    """(page, link text) of the first pages that refer to the URL."""


class BrokenLinksCheck(Check[BrokenLinksSettings]):
    type = CheckType.BROKEN_LINKS
    pool = Pool.CRAWL
    details = BrokenLinksDetails
    findings = FindingsSpec("broken link", frozenset({DiffKind.NEW}), keep_resolved=False)

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[BrokenLinksSettings]:
        return BrokenLinksSettings

    def time_budget(self, settings: BrokenLinksSettings) -> float:
        return CRAWL_BUDGET_S

    async def run(self, target: Target, settings: BrokenLinksSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        report = await find_broken_links(target, settings, ctx)
        return report.result(ctx, started_at)


@dataclass(slots=True)
class BrokenLinksReport:
    pages: int
    urls_checked: int
    broken: list[BrokenLink]
    start: Fetched | None
    stats: dict[str, Any]

    def result(self, ctx: CheckContext, started_at: Any) -> CheckResult:
        details: BrokenLinksDetails = {
            "pages_crawled": self.pages,
            "urls_checked": self.urls_checked,
            "broken_count": len(self.broken),
            "requests": self.stats["requests"],
            "stopped_by": self.stats["stopped_by"],
            "skipped_by_robots": self.stats["skipped_by_robots"],
        }
        start = self.start
        if start is None or not start.ok:
            reason = "no answer" if start is None else (start.error or f"HTTP {start.status}")
            # It could not look: nothing found earlier is called fixed.
            return finish(ctx, started_at, Outcome.FAILED, f"Could not crawl: {reason}", details=details)
        findings = tuple(
            Finding(finding_key(link["crawled_url"], link["found_on_url"]), link)
            for link in self.broken[:MAX_FINDINGS]
        )
        if not self.broken:
            summary = f"No broken links ({self.pages} pages crawled)"
            return finish(ctx, started_at, Outcome.SUCCEEDED, summary, details=details, findings=findings)
        count = len({link["crawled_url"] for link in self.broken})
        summary = f"{count} broken link{'s' if count != 1 else ''} ({self.pages} pages crawled)"
        return finish(ctx, started_at, Outcome.FAILED, summary, details=details, findings=findings)


async def find_broken_links(
    target: Target,
    settings: BrokenLinksSettings,
    ctx: CheckContext,
    *,
    max_pages: int = MAX_PAGES,
    progress: Callable[[Page], None] | None = None,
    respect_robots: bool = True,
) -> BrokenLinksReport:
    """Crawl and check; `progress` sees every page as it is crawled (the command line's bar)."""
    types = {link_type.value for link_type in settings.types}
    whitelist = UrlPatterns(settings.whitelisted_urls)
    seen: dict[str, _Seen] = {}

    def on_page(page: Page) -> None:
        if progress is not None:
            progress(page)
        for ref in page.refs:
            if ref.kind not in types or whitelist.matches(ref.url):
                continue
            entry = seen.get(ref.url)
            if entry is None:
                entry = seen[ref.url] = _Seen(ref.kind)
            if len(entry.places) < MAX_PAGES_PER_URL:
                entry.places.append((page.url, ref.text))

    config = crawl_config(
        target,
        settings.crawler_speed.value,
        headers=await monitor_crawler_headers(ctx, target),
        force_urls=settings.force_crawl_urls,
        # Whitelisted URLs are ignored altogether: not reported, not crawled, not fetched.
        skip=[*settings.do_not_crawl_urls, *settings.whitelisted_urls],
        max_pages=max_pages,
        respect_robots=respect_robots,
    )
    crawler = Crawler(ctx.http_client(ctx.guard), config, on_page=on_page)
    await crawler.crawl()
    site = crawler.site

    def may_fetch(url: str) -> bool:
        external_ok = settings.check_include_external_links or same_site(url, site)
        return external_ok and crawler.may_visit(url)

    checked = [url for url in seen if may_fetch(url)]
    answers = await crawler.final_all(checked, may_fetch)
    broken: list[BrokenLink] = []
    for url in checked:
        answer = answers.get(url)
        if answer is None or answer.ok:
            continue
        entry = seen[url]
        for found_on, text in entry.places:
            broken.append(
                {
                    "status_code": answer.status,
                    "crawled_url": url,
                    "found_on_url": found_on,
                    "link_text": text,
                    "type": entry.kind,
                    "error_message": answer.error if answer.error else None,
                    "internal": same_site(url, site),
                }
            )
    broken.sort(key=lambda link: (link["crawled_url"], link["found_on_url"]))
    start = await crawler.final(crawler.start_url, lambda url: False)
    stats = {
        "requests": crawler.stats.requests,
        "stopped_by": crawler.stats.stopped_by,
        "skipped_by_robots": crawler.stats.skipped_by_robots,
    }
    return BrokenLinksReport(crawler.stats.pages, len(checked), broken, start, stats)
