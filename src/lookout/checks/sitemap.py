"""Sitemap: fetch `sitemap_check_settings.path` on the monitor's site (a sitemap, a sitemap
index, gzipped or not), read it safely (net.crawl.sitemap), and check every URL it lists
for reachability at the chosen crawler speed.

The report is A14's camelCase shape, kept as the run's details; each issue is a finding,
so a new one is news and a fixed one resolves. Issues: the sitemap (index) could not be
loaded, is not valid XML or declares a DTD (refused: no entity is ever expanded), is larger
than 50 MB or lists more than 50,000 URLs, lists a URL on another host, or a URL that does
not answer 2xx/3xx.
"""

from __future__ import annotations

import asyncio
import builtins
from dataclasses import dataclass, field
from typing import Any

from lookout.checks.base import Check, CheckContext, FindingsSpec, Pool, Target
from lookout.checks.results import finish
from lookout.checks.site_crawl import (
    CRAWL_BUDGET_S,
    MAX_FINDINGS,
    crawl_config,
    finding_key,
    monitor_crawler_headers,
)
from lookout.model.check_settings import SitemapSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.findings import DiffKind
from lookout.model.result import CheckResult, Finding, Outcome
from lookout.net.crawl import Crawler, normalise, same_site, site_of
from lookout.net.crawl import sitemap as sitemaps
from lookout.net.http import HttpClient

MAX_CHILD_SITEMAPS = 100
"""Sitemaps of an index that are read; more are reported, not fetched."""
MAX_CHECKED_URLS = 50_000
MAX_LISTED_ISSUES = 1000
"""Issues listed per sitemap in the report; the counts stay exact."""
FETCH_TIMEOUT_S = 60.0

Issue = dict[str, Any]


def issue(name: str, url: str, message: str | None = None, response_code: int | None = None) -> Issue:
    return {"name": name, "url": url, "responseCode": response_code, "message": message}


@dataclass(slots=True)
class _Sitemap:
    url: str
    urls: list[str] = field(default_factory=list)
    url_count: int = 0
    issues: list[Issue] = field(default_factory=list)
    issues_count: int = 0
    checked_all: bool = True

    def add(self, found: Issue) -> None:
        self.issues_count += 1
        if len(self.issues) < MAX_LISTED_ISSUES:
            self.issues.append(found)

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "urlCount": self.url_count,
            "checkedReachabilityOfAllUrls": self.checked_all,
            "issuesCount": self.issues_count,
            "issues": self.issues,
        }


class SitemapCheck(Check[SitemapSettings]):
    type = CheckType.SITEMAP
    pool = Pool.CRAWL
    findings = FindingsSpec("sitemap issue", frozenset({DiffKind.NEW}), keep_resolved=False)

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[SitemapSettings]:
        return SitemapSettings

    def time_budget(self, settings: SitemapSettings) -> float:
        return CRAWL_BUDGET_S

    async def run(self, target: Target, settings: SitemapSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        report, loaded = await check_sitemap(target, settings, ctx)
        every = [*report["issues"]]
        for group in (*report["sitemapIndexes"], *report["sitemaps"]):
            every.extend(group["issues"])
        findings = tuple(
            Finding(finding_key(found["name"], found["url"]), found) for found in every[:MAX_FINDINGS]
        )
        total = report["totalIssuesCount"]
        if not loaded:
            # The sitemap could not be read: nothing it listed before can be called fixed.
            summary = f"Sitemap could not be loaded: {every[0]['message']}"
            return finish(ctx, started_at, Outcome.FAILED, summary, details=report)
        if total:
            summary = f"{total} sitemap issue{'s' if total != 1 else ''}"
            return finish(ctx, started_at, Outcome.FAILED, summary, details=report, findings=findings)
        summary = f"Sitemap OK: {report['totalUrlCount']} URLs"
        return finish(ctx, started_at, Outcome.SUCCEEDED, summary, details=report, findings=findings)


def sitemap_url(site_url: str, path: str) -> str:
    """The sitemap's URL: `path` always on the monitor's own site (never another host)."""
    root = normalise(site_url) or site_url
    return normalise("/" + path.strip().lstrip("/"), root) or root


async def check_sitemap(
    target: Target, settings: SitemapSettings, ctx: CheckContext
) -> tuple[dict[str, Any], bool]:
    """(A14 report, whether the sitemap at the check URL could be read)."""
    check_url = sitemap_url(target.url, settings.path)
    client = ctx.http_client(ctx.guard)
    site = site_of(check_url)
    top_issues: list[Issue] = []
    indexes: list[dict[str, Any]] = []
    maps: list[_Sitemap] = []
    headers = await monitor_crawler_headers(ctx, target)

    top = await _load(client, check_url, headers)
    if isinstance(top, dict):
        top["name"] = {"CouldNotLoad": "CouldNotLoadSitemapIndex"}.get(top["name"], top["name"])
        top_issues.append(top)
        return _report(check_url, top_issues, indexes, maps), False
    if top.kind == "sitemapindex":
        index_issues: list[Issue] = []
        indexes.append({"url": check_url, "issues": index_issues})
        children = top.locs
        if len(children) > MAX_CHILD_SITEMAPS:
            message = f"lists {top.loc_count} sitemaps; the first {MAX_CHILD_SITEMAPS} were read"
            index_issues.append(issue("TooManySitemaps", check_url, message))
        for loc in children[:MAX_CHILD_SITEMAPS]:
            child_url = normalise(loc, check_url)
            if child_url is None:
                index_issues.append(issue("InvalidUrl", loc[:200], "not an http(s) URL"))
                continue
            if not same_site(child_url, site):
                index_issues.append(issue("UrlOnOtherHost", child_url, f"not on {site}"))
                continue
            child = await _load(client, child_url, headers)
            if isinstance(child, dict):
                child["name"] = {"CouldNotLoad": "CouldNotLoadSitemap"}.get(child["name"], child["name"])
                index_issues.append(child)
            elif child.kind == "sitemapindex":
                index_issues.append(issue("NestedSitemapIndex", child_url, "a sitemap index in an index"))
            else:
                maps.append(_listed(child_url, child, site))
    else:
        maps.append(_listed(check_url, top, site))

    await _check_reachability(maps, target, settings, client, headers)
    return _report(check_url, top_issues, indexes, maps), True


async def _load(
    client: HttpClient, url: str, headers: list[tuple[str, str]]
) -> sitemaps.ParsedSitemap | Issue:
    try:
        data = await sitemaps.fetch(client, url, headers, FETCH_TIMEOUT_S)
        return await asyncio.to_thread(sitemaps.parse, data)
    except sitemaps.SitemapError as exc:
        return issue(exc.issue, url, exc.message, exc.status)


def _listed(url: str, parsed: sitemaps.ParsedSitemap, site: str) -> _Sitemap:
    entry = _Sitemap(url, url_count=parsed.loc_count)
    if parsed.loc_count > sitemaps.MAX_URLS:
        entry.add(issue("TooManyUrls", url, f"lists {parsed.loc_count} URLs (at most {sitemaps.MAX_URLS})"))
        entry.checked_all = False
    for loc in parsed.locs[: sitemaps.MAX_URLS]:
        page = normalise(loc, url)
        if page is None:
            entry.add(issue("InvalidUrl", loc[:200], "not an http(s) URL"))
        elif not same_site(page, site):
            entry.add(issue("UrlOnOtherHost", page, f"not on {site}"))
        else:
            entry.urls.append(page)
    return entry


async def _check_reachability(
    maps: list[_Sitemap],
    target: Target,
    settings: SitemapSettings,
    client: HttpClient,
    headers: list[tuple[str, str]],
) -> None:
    config = crawl_config(target, settings.speed.value, headers=headers, respect_robots=False, max_pages=0)
    crawler = Crawler(client, config)
    budget = MAX_CHECKED_URLS
    for entry in maps:
        if len(entry.urls) > budget:
            entry.checked_all = False
        entry.urls = entry.urls[:budget]
        budget -= len(entry.urls)
    answers = await crawler.final_all([url for entry in maps for url in entry.urls])
    for entry in maps:
        for url in entry.urls:
            answer = answers.get(url)
            if answer is None or answer.error_kind == "time":
                entry.checked_all = False
            elif not answer.ok:
                message = answer.error or f"HTTP {answer.status}"
                entry.add(issue("UrlNotReachable", url, message, answer.status))
        entry.urls = []


def _report(
    check_url: str, top_issues: list[Issue], indexes: list[dict[str, Any]], maps: list[_Sitemap]
) -> dict[str, Any]:
    total = len(top_issues) + sum(len(index["issues"]) for index in indexes)
    total += sum(entry.issues_count for entry in maps)
    return {
        "checkUrl": check_url,
        "totalIssuesCount": total,
        "totalUrlCount": sum(entry.url_count for entry in maps),
        "hasIssues": total > 0,
        "issues": top_issues,
        "sitemapIndexes": indexes,
        "sitemaps": [entry.as_json() for entry in maps],
    }
