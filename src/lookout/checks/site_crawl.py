"""What the crawl-based checks (broken links, mixed content, sitemap) share: the crawl's
bounds, its configuration from a check's settings, and finding keys that fit the store."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from lookout.checks.base import CheckContext, Target
from lookout.model.findings import MAX_KEY_LENGTH
from lookout.net.crawl import CrawlConfig, UrlPatterns, politeness

CRAWL_BUDGET_S = 1800.0
"""A crawl's whole run; the runner cuts it at this plus a margin."""
RESULT_MARGIN_S = 30.0
"""Kept free at the end of the budget to build the result from what was seen so far."""
MAX_PAGES = 5000
MAX_DEPTH = 50
MAX_FINDINGS = 1000
"""Findings one run reports; counts in the details stay exact."""
MAX_PAGES_PER_URL = 10
"""Pages remembered for each problem URL (a broken link in a footer is on every page)."""


def crawl_config(
    target: Target,
    speed: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    force_urls: Sequence[str] = (),
    skip: Sequence[str] = (),
    respect_robots: bool = True,
    max_pages: int = MAX_PAGES,
) -> CrawlConfig:
    return CrawlConfig(
        start_url=target.url,
        politeness=politeness(speed),
        headers=tuple(headers),
        respect_robots=respect_robots,
        force_urls=tuple(force_urls),
        skip=UrlPatterns(skip),
        max_pages=max_pages,
        max_depth=MAX_DEPTH,
        max_seconds=CRAWL_BUDGET_S - RESULT_MARGIN_S,
    )


async def monitor_crawler_headers(ctx: CheckContext, target: Target) -> list[tuple[str, str]]:
    """The monitor's `crawler_headers`, sent with every request of its crawls."""
    if ctx.monitor_options is None:
        return []
    return await ctx.monitor_options.crawler_headers(target.monitor_id)


def finding_key(*parts: str) -> str:
    """The parts joined by newlines; a digest when that is longer than a key may be."""
    key = "\n".join(parts)
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
