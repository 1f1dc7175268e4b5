"""DNS, ports and DNS blocklist history items, AI responses and Lighthouse reports of a
monitor (Oh Dear A14).

`build_router` is mounted under /monitors and, like the monitors router, /sites. Lists are
paginated like every other list; an item is answered bare, as Oh Dear's are.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.services.network_history import (
    AiResponseItem,
    BlocklistHistoryItem,
    DnsHistoryItem,
    HistoryItem,
    HistoryKind,
    LighthouseReportItem,
    PortsHistoryItem,
)

MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# URL segment, the kind the service knows, and the words of the OpenAPI summaries.
_ROUTES: tuple[tuple[str, HistoryKind, str], ...] = (
    ("dns-history-items", "dns", "DNS"),
    ("ports-history-items", "ports", "Ports"),
    ("dns-blocklist-history-items", "dns_blocklist", "DnsBlocklist"),
    ("ai-responses", "ai", "Ai"),
    ("lighthouse-reports", "lighthouse", "Lighthouse"),
)
# The kinds with a /latest route: (URL segment, kind, words).
_LATEST: tuple[tuple[str, HistoryKind, str], ...] = (
    ("ai-responses", "ai", "AI response"),
    ("lighthouse-reports", "lighthouse", "Lighthouse report"),
)


def item_json(item: HistoryItem, *, full: bool = True) -> dict[str, Any]:
    """An item as Oh Dear shows it; an AI response's raw answer and a Lighthouse report's JSON
    report only when `full` (one item)."""
    if isinstance(item, LighthouseReportItem):
        report: dict[str, Any] = {"id": item.id, **item.fields, "issues": item.issues}
        if full:
            report["json_report"] = item.json_report
        return {**report, "created_at": stamp(item.created_at)}
    if isinstance(item, AiResponseItem):
        body: dict[str, Any] = {
            "id": item.id,
            "result": item.result,
            "finish_reason": item.finish_reason,
            "prompt": item.prompt,
            "text": item.text,
            "notification_title": item.notification_title,
            "notification_body": item.notification_body,
            "used_tools": item.used_tools,
            "used_prompt_tokens": item.used_prompt_tokens,
            "used_completion_tokens": item.used_completion_tokens,
        }
        if full:
            body["raw_response"] = item.raw_response
        return {
            **body,
            "started_at": stamp(item.started_at),
            "ended_at": stamp(item.ended_at),
            "created_at": stamp(item.started_at),
        }
    if isinstance(item, DnsHistoryItem):
        return {
            "id": item.id,
            "authoritative_nameservers": item.authoritative_nameservers,
            "dns_records": item.dns_records,
            "raw_dns_records": item.raw_dns_records,
            "issues": item.issues,
            "diff_summary": item.diff_summary,
            "created_at": stamp(item.created_at),
        }
    if isinstance(item, PortsHistoryItem):
        return {
            "id": item.id,
            "scanned_host": item.scanned_host,
            "resolved_ip": item.resolved_ip,
            "open_ports": item.open_ports,
            "issues": item.issues,
            "scan_time_ms": item.scan_time_ms,
            "created_at": stamp(item.created_at),
        }
    assert isinstance(item, BlocklistHistoryItem)
    return {
        "id": item.id,
        "checked_domain": item.checked_domain,
        "resolved_ips": item.resolved_ips,
        "blocklist_results": [
            {
                "provider": r.provider,
                "listed": r.listed,
                "query_target": r.query_target,
                "return_code": r.return_code,
                "reason": r.reason,
                "timed_out": r.timed_out,
            }
            for r in item.blocklist_results
        ],
        "issues": item.issues,
        "created_at": stamp(item.created_at),
    }


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    for segment, kind, words in _LATEST:  # before /{segment}/{item_id}
        _add_latest(router, prefix.strip("/"), segment, kind, words)
    for segment, kind, words in _ROUTES:
        _add_routes(router, prefix.strip("/"), segment, kind, words)
    return router


def _add_latest(router: APIRouter, name: str, segment: str, kind: HistoryKind, words: str) -> None:
    @router.get(
        f"/{{monitor_id}}/{segment}/latest",
        responses=schemas.WITH_422,
        summary=f"The newest {words} of a monitor",
        operation_id=f"get{name}Latest{words.title().replace(' ', '')}",
    )
    def latest(monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep) -> Response:
        return FastJSONResponse(item_json(services.network_history.latest(who, monitor_id, kind)))


def _add_routes(router: APIRouter, name: str, segment: str, kind: HistoryKind, words: str) -> None:
    @router.get(
        f"/{{monitor_id}}/{segment}",
        responses=schemas.WITH_422,
        summary=f"{words} history items (or responses) of a monitor, newest first",
        operation_id=f"list{name}{words}HistoryItems",
    )
    def list_items(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        page, size = page_request(request.query_params)
        result = services.network_history.items(who, monitor_id, kind, page, size)
        data = [item_json(item, full=False) for item in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.get(
        f"/{{monitor_id}}/{segment}/{{item_id}}",
        responses=schemas.WITH_422,
        summary=f"One {words} history item (or response)",
        operation_id=f"get{name}{words}HistoryItem",
    )
    def get_item(
        monitor_id: MonitorId, item_id: ItemId, who: PrincipalDep, services: ServicesDep
    ) -> Response:
        return FastJSONResponse(item_json(services.network_history.item(who, monitor_id, kind, item_id)))
