"""Application health (A13): the health checks an app reports, each one's history, and
snoozes per health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.presenters import snooze_json
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.services.app_health import HealthCheckView, HealthResultView

MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]
HealthCheckId = Annotated[int, Path(ge=1, le=2**31 - 1)]
AnyBody = Annotated[Any, Body()]


class HealthCheckBody(BaseModel):
    id: int
    name: str
    label: str
    status: str
    message: str
    meta: list[Any] | dict[str, Any]
    short_summary: str
    detected_at: str | None
    updated_at: str | None
    active_snooze: dict[str, Any] | None


class HealthCheckPageBody(BaseModel):
    data: list[HealthCheckBody]
    links: dict[str, Any]
    meta: dict[str, Any]


class HealthResultBody(BaseModel):
    id: int
    status: str
    short_summary: str
    message: str
    meta: list[Any] | dict[str, Any]
    detected_at: str | None
    updated_at: str | None


class HealthResultPageBody(BaseModel):
    data: list[HealthResultBody]
    links: dict[str, Any]
    meta: dict[str, Any]


def health_check_json(view: HealthCheckView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "label": view.label,
        "status": view.status,
        "message": view.message,
        # An empty meta is `[]`, as PHP (Oh Dear) writes an empty array.
        "meta": view.meta or [],
        "short_summary": view.short_summary,
        "detected_at": stamp(view.detected_at),
        "updated_at": stamp(view.updated_at),
        "active_snooze": snooze_json(view.active_snooze),
    }


def result_json(view: HealthResultView) -> dict[str, Any]:
    return {
        "id": view.id,
        "status": view.status,
        "short_summary": view.short_summary,
        "message": view.message,
        "meta": view.meta or [],
        "detected_at": stamp(view.detected_at),
        "updated_at": stamp(view.updated_at),
    }


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    name = prefix.strip("/")
    base = "/{monitor_id}/application-health-checks"

    @router.get(
        base,
        responses={200: {"model": HealthCheckPageBody}, **schemas.ERRORS},
        summary="The health checks the app reported last, with their status",
        operation_id=f"list{name}ApplicationHealthChecks",
    )
    def health_checks(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        page, size = page_request(request.query_params)
        result = services.app_health.health_checks(who, monitor_id, page, size)
        data = [health_check_json(view) for view in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.get(
        base + "/{health_check_id}",
        responses={200: {"model": HealthResultPageBody}, **schemas.ERRORS},
        summary="One health check's history of statuses, newest first",
        operation_id=f"list{name}ApplicationHealthCheckHistory",
    )
    def history(
        request: Request,
        monitor_id: MonitorId,
        health_check_id: HealthCheckId,
        who: PrincipalDep,
        services: ServicesDep,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        page, size = page_request(request.query_params)
        result = services.app_health.history(who, monitor_id, health_check_id, page, size)
        data = [result_json(view) for view in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.post(
        base + "/{health_check_id}/snooze",
        responses={200: {"model": HealthCheckBody}, **schemas.WITH_422},
        openapi_extra=schemas.json_body(schemas.SnoozeRequestBody.model_json_schema()),
        summary="Mute one health check's notifications for some minutes",
        operation_id=f"snooze{name}ApplicationHealthCheck",
    )
    def snooze(
        monitor_id: MonitorId,
        health_check_id: HealthCheckId,
        who: PrincipalDep,
        services: ServicesDep,
        payload: AnyBody = None,
    ) -> Response:
        view = services.app_health.snooze(who, monitor_id, health_check_id, payload)
        return FastJSONResponse(health_check_json(view))

    @router.post(
        base + "/{health_check_id}/unsnooze",
        responses={200: {"model": HealthCheckBody}, **schemas.ERRORS},
        summary="End one health check's snooze",
        operation_id=f"unsnooze{name}ApplicationHealthCheck",
    )
    def unsnooze(
        monitor_id: MonitorId, health_check_id: HealthCheckId, who: PrincipalDep, services: ServicesDep
    ) -> Response:
        view = services.app_health.unsnooze(who, monitor_id, health_check_id)
        return FastJSONResponse(health_check_json(view))

    return router
