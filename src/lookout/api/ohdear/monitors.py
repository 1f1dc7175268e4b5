"""Monitors: list, fetch (by id or url), create, update, delete, whitelist, check summary.

Mounted twice: under /monitors and, for clients written before the rename, /sites.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Body, Path, Query, Request
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.presenters import monitor_json
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.errors import NotFoundError, ValidationFailed
from lookout.services.validation import int64_from_text

AnyBody = Annotated[Any, Body()]
# Ids beyond the database's integer range cannot exist; they are a 404 like any unknown id.
MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# Declared for the OpenAPI description; read by `_team_filter` with Laravel's message.
TeamFilter = Annotated[str | None, Query(alias="filter[team_id]", description="one of your teams' ids")]


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    legacy = prefix != "/monitors"
    monitor = {"model": schemas.MonitorBody, "links": schemas.monitor_links(prefix.strip("/"))}

    @router.get(
        "",
        responses={200: {"model": schemas.MonitorPageBody}, **schemas.WITH_422},
        summary="List monitors",
        operation_id=f"list{prefix.strip('/')}",
    )
    def list_monitors(
        request: Request,
        who: PrincipalDep,
        services: ServicesDep,
        _team: TeamFilter = None,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        page, size = page_request(request.query_params)
        team_id = _team_filter(request.query_params.get("filter[team_id]"))
        result = services.monitors.list(who, team_id, page, size)
        data = [monitor_json(view) for view in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.get(
        "/url/{monitor_url:path}",
        responses={200: {"model": schemas.MonitorBody}, **schemas.ERRORS},
        summary="Get a monitor by its URL (URL-encoded)",
        operation_id=f"get{prefix.strip('/')}ByUrl",
    )
    def get_by_url(request: Request, monitor_url: str, who: PrincipalDep, services: ServicesDep) -> Response:
        url = unquote(monitor_url)
        if request.url.query:
            # A client that did not encode the url had its query string split off by HTTP.
            try:
                return FastJSONResponse(
                    monitor_json(services.monitors.get_by_url(who, f"{url}?{request.url.query}"))
                )
            except NotFoundError:
                pass
        return FastJSONResponse(monitor_json(services.monitors.get_by_url(who, url)))

    @router.get(
        "/{monitor_id}",
        responses={200: {"model": schemas.MonitorBody}, **schemas.ERRORS},
        summary="Get a monitor",
        operation_id=f"get{prefix.strip('/')}",
    )
    def get_monitor(monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep) -> Response:
        return FastJSONResponse(monitor_json(services.monitors.get(who, monitor_id)))

    @router.post(
        "",
        status_code=201,
        responses={201: monitor, **schemas.WITH_422},
        openapi_extra=schemas.json_body(schemas.monitor_request_schema(for_update=False)),
        summary="Add a monitor",
        operation_id=f"create{prefix.strip('/')}",
    )
    def create_monitor(who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
        if legacy and isinstance(payload, dict):
            payload.setdefault("type", "http")  # the sites API predates monitor types
        view = services.monitors.create(who, payload)
        return FastJSONResponse(monitor_json(view), status_code=201)

    @router.put(
        "/{monitor_id}",
        responses={200: monitor, **schemas.WITH_422},
        openapi_extra=schemas.json_body(schemas.monitor_request_schema(for_update=True)),
        summary="Update a monitor",
        operation_id=f"update{prefix.strip('/')}",
    )
    def update_monitor(
        monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
    ) -> Response:
        return FastJSONResponse(monitor_json(services.monitors.update(who, monitor_id, payload)))

    @router.delete(
        "/{monitor_id}",
        status_code=204,
        responses={204: {"description": "Deleted"}, **schemas.ERRORS},
        summary="Delete a monitor",
        operation_id=f"delete{prefix.strip('/')}",
    )
    def delete_monitor(monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep) -> Response:
        services.monitors.delete(who, monitor_id)
        return Response(status_code=204)

    @router.post(
        "/{monitor_id}/add-to-broken-links-whitelist",
        responses={
            200: {"description": "Added", "content": {"application/json": {"schema": {"type": "object"}}}},
            **schemas.WITH_422,
        },
        openapi_extra=schemas.json_body(schemas.WhitelistBody.model_json_schema()),
        summary="Whitelist one broken link URL",
        operation_id=f"whitelist{prefix.strip('/')}BrokenLink",
    )
    def add_to_whitelist(
        monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
    ) -> Response:
        url = payload.get("whitelistUrl") if isinstance(payload, dict) else None
        services.monitors.add_to_broken_links_whitelist(who, monitor_id, url)
        return FastJSONResponse({})

    @router.get(
        "/{monitor_id}/check-summary/{check_type}",
        responses={200: {"model": schemas.CheckSummaryBody}, **schemas.ERRORS},
        summary="The latest result and summary of one check",
        operation_id=f"get{prefix.strip('/')}CheckSummary",
    )
    def check_summary(
        monitor_id: MonitorId, check_type: str, who: PrincipalDep, services: ServicesDep
    ) -> Response:
        result, summary = services.monitors.check_summary(who, monitor_id, check_type)
        return FastJSONResponse({"result": result, "summary": summary})

    return router


def _team_filter(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    team_id = int64_from_text(value)
    if team_id is None:
        raise ValidationFailed({"filter.team_id": ["The filter.team id field must be an integer."]})
    return team_id
