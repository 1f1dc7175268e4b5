"""Mixed content: on every https page of the site, each http:// resource a browser would
load (images, scripts, stylesheets, frames, media, objects) or send to (form actions).

Each (resource, page) is a finding: new ones make a `changed` event, fixed ones resolve.
Plain links (`<a href="http://...">`) are not mixed content: the browser loads nothing.
"""

from __future__ import annotations

import builtins
from typing import TypedDict

from lookout.checks.base import Check, CheckContext, FindingsSpec, Pool, Target
from lookout.checks.results import finish
from lookout.checks.site_crawl import (
    CRAWL_BUDGET_S,
    MAX_FINDINGS,
    MAX_PAGES,
    crawl_config,
    finding_key,
    monitor_crawler_headers,
)
from lookout.model.check_settings import MixedContentSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.findings import DiffKind
from lookout.model.result import CheckResult, Finding, Outcome
from lookout.net.crawl import Crawler, Page

# What a browser loads (or submits to) from a page, by the crawler's kinds of reference.
LOADED_KINDS = frozenset({"image", "script", "stylesheet", "iframe", "media", "object", "form"})


class MixedContentDetails(TypedDict, total=False):
    pages_crawled: int
    mixed_content_count: int
    stopped_by: str | None


class MixedContentItem(TypedDict):
    """One finding's payload, the A10 item."""

    element_name: str
    mixed_content_url: str
    found_on_url: str


class MixedContentCheck(Check[MixedContentSettings]):
    type = CheckType.MIXED_CONTENT
    pool = Pool.CRAWL
    details = MixedContentDetails
    findings = FindingsSpec("mixed content resource", frozenset({DiffKind.NEW}), keep_resolved=False)

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[MixedContentSettings]:
        return MixedContentSettings

    def time_budget(self, settings: MixedContentSettings) -> float:
        return CRAWL_BUDGET_S

    async def run(self, target: Target, settings: MixedContentSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        if not target.url.lower().startswith("https://"):
            return finish(ctx, started_at, Outcome.SUCCEEDED, "Not an https site", findings=())
        items, crawler = await find_mixed_content(target, settings, ctx)
        start = await crawler.final(crawler.start_url, lambda url: False)
        details: MixedContentDetails = {
            "pages_crawled": crawler.stats.pages,
            "mixed_content_count": len(items),
            "stopped_by": crawler.stats.stopped_by,
        }
        if start is None or not start.ok:
            reason = "no answer" if start is None else (start.error or f"HTTP {start.status}")
            return finish(ctx, started_at, Outcome.FAILED, f"Could not crawl: {reason}", details=details)
        findings = tuple(
            Finding(finding_key(item["mixed_content_url"], item["found_on_url"]), item)
            for item in items[:MAX_FINDINGS]
        )
        if not items:
            summary = f"No mixed content ({crawler.stats.pages} pages crawled)"
            return finish(ctx, started_at, Outcome.SUCCEEDED, summary, details=details, findings=findings)
        pages = len({item["found_on_url"] for item in items})
        summary = f"Mixed content on {pages} page{'s' if pages != 1 else ''}"
        return finish(ctx, started_at, Outcome.FAILED, summary, details=details, findings=findings)


async def find_mixed_content(
    target: Target, settings: MixedContentSettings, ctx: CheckContext, *, max_pages: int = MAX_PAGES
) -> tuple[list[MixedContentItem], Crawler]:
    items: list[MixedContentItem] = []

    def on_page(page: Page) -> None:
        if not page.url.startswith("https://"):
            return
        for ref in page.refs:
            if ref.kind in LOADED_KINDS and ref.url.startswith("http://"):
                items.append(
                    {"element_name": ref.element, "mixed_content_url": ref.url, "found_on_url": page.url}
                )

    headers = await monitor_crawler_headers(ctx, target)
    config = crawl_config(target, settings.crawler_speed.value, headers=headers, max_pages=max_pages)
    crawler = Crawler(ctx.http_client(ctx.guard), config, on_page=on_page)
    await crawler.crawl()
    unique = {(item["mixed_content_url"], item["found_on_url"]): item for item in items}
    return sorted(unique.values(), key=lambda i: (i["found_on_url"], i["mixed_content_url"])), crawler
