"""Broken links, mixed content (A10) and the sitemap report (A14) of a monitor."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.pagination import MAX_PAGE_SIZE, PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import iso
from lookout.services.site_health import CrawlListing

MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]

_EMPTY_SITEMAP: dict[str, Any] = {
    "checkUrl": None,
    "totalIssuesCount": 0,
    "totalUrlCount": 0,
    "hasIssues": False,
    "issues": [],
    "sitemapIndexes": [],
    "sitemaps": [],
}

router = APIRouter(tags=["site health"])


def relative(url: str) -> str:
    """`/path?query` of a URL, as Oh Dear's relative_* fields show it."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _listing(
    request: Request, listing: CrawlListing, data: list[dict[str, Any]], page: int, size: int
) -> Response:
    body = paginated(data, request.url, page, size, listing.page.total)
    run = listing.run
    body["meta"].update(
        {
            "run_id": run.id if run else None,
            "run_started_at": iso(run.started_at) if run else None,
            "run_ended_at": iso(run.ended_at) if run else None,
        }
    )
    return FastJSONResponse(body)


@router.get(
    "/broken-links/{monitor_id}",
    responses=schemas.WITH_422,
    summary="Broken links the latest crawl found",
    operation_id="listBrokenLinks",
)
def broken_links(
    request: Request,
    monitor_id: MonitorId,
    who: PrincipalDep,
    services: ServicesDep,
    _page: PageNumber = None,
    _size: PageSize = None,
) -> Response:
    page, size = page_request(request.query_params, default_size=MAX_PAGE_SIZE)
    listing = services.site_health.broken_links(who, monitor_id, page, size)
    data = []
    for link in listing.page.items:
        item = asdict(link)
        item["relative_crawled_url"] = relative(link.crawled_url)
        item["relative_found_on_url"] = relative(link.found_on_url)
        data.append(item)
    return _listing(request, listing, data, page, size)


@router.get(
    "/mixed-content/{monitor_id}",
    responses=schemas.WITH_422,
    summary="Resources loaded over http:// from https pages, as the latest crawl found them",
    operation_id="listMixedContent",
)
def mixed_content(
    request: Request,
    monitor_id: MonitorId,
    who: PrincipalDep,
    services: ServicesDep,
    _page: PageNumber = None,
    _size: PageSize = None,
) -> Response:
    page, size = page_request(request.query_params, default_size=MAX_PAGE_SIZE)
    listing = services.site_health.mixed_content(who, monitor_id, page, size)
    data = [asdict(item) for item in listing.page.items]
    return _listing(request, listing, data, page, size)


@router.get(
    "/sitemap/{monitor_id}",
    responses=schemas.WITH_422,
    summary="The latest sitemap report",
    operation_id="getSitemap",
)
def sitemap(monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep) -> Response:
    report = services.site_health.sitemap(who, monitor_id)
    return FastJSONResponse(report if report is not None else _EMPTY_SITEMAP)
