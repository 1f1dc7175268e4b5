"""Cron checks (A12): a monitor's scheduled tasks, their CRUD, sync and snoozes.

`build_router(prefix)` serves `/monitors/{id}/cron-checks[...]` (and the legacy `/sites`);
`tasks_router` serves `/cron-checks/{id}` (update, delete, snooze, unsnooze) as the SDK
calls them. `ping_url` is the instance's public URL (LOOKOUT_PUBLIC_URL) or, without one,
the base URL the request came in on, then `/ping/{uuid}`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from cron_descriptor import ExpressionDescriptor, Options
from fastapi import APIRouter, Body, Path, Request
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.presenters import snooze_json
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.model.cron import ping_result_label
from lookout.services.cron import CronTaskView

AnyBody = Annotated[Any, Body()]
MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ONE = {200: {"description": "The cron check"}, **schemas.WITH_422}


def ping_base(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    public = getattr(settings, "public_url", None)
    return (public or str(request.base_url)).rstrip("/")


@lru_cache(maxsize=4096)
def human_readable(expression: str | None) -> str:
    if not expression:
        return ""
    options = Options()
    options.use_24hour_time_format = True
    try:
        return str(ExpressionDescriptor(expression, options).get_description())
    except Exception:  # a describer's gap is not the caller's error
        return expression


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """Laravel's diffForHumans: "5 minutes ago"."""
    if value is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - value).total_seconds()))
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("week", 604_800), ("day", 86_400),
                       ("hour", 3600), ("minute", 60)):  # fmt: skip
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return f"{seconds} second{'s' if seconds != 1 else ''} ago"


def task_json(view: CronTaskView, base: str) -> dict[str, Any]:
    label, color = ping_result_label(view.status)
    return {
        "id": view.id,
        "uuid": view.uuid,
        "name": view.name,
        "type": view.type,
        "description": view.description,
        "frequency_in_minutes": view.frequency_in_minutes,
        "grace_time_in_minutes": view.grace_time_in_minutes,
        "cron_expression": view.cron_expression or "",
        "human_readable_cron_expression": human_readable(view.cron_expression),
        "server_timezone": view.server_timezone,
        "ping_url": f"{base}/ping/{view.uuid}",
        "created_at": stamp(view.created_at),
        "latest_result": view.latest_result,
        "latest_result_label": label,
        "latest_result_label_color": color,
        "latest_ping_at": stamp(view.latest_ping_at) or "",
        "human_readable_latest_ping_at": ago(view.latest_ping_at),
        "active_snooze": snooze_json(view.active_snooze),
    }


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["cron-checks"])
    name = prefix.strip("/")

    @router.get(
        "/{monitor_id}/cron-checks",
        responses=schemas.ERRORS,
        summary="List a monitor's cron checks",
        operation_id=f"list{name}CronChecks",
    )
    def list_tasks(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        page, size = page_request(request.query_params)
        result = services.cron.page(who, monitor_id, page, size)
        base = ping_base(request)
        data = [task_json(view, base) for view in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.post(
        "/{monitor_id}/cron-checks",
        status_code=201,
        responses=schemas.WITH_422,
        summary="Add a cron check to a monitor",
        operation_id=f"create{name}CronCheck",
    )
    def create_task(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        payload: AnyBody = None,
    ) -> Response:
        view = services.cron.create(who, monitor_id, payload)
        return FastJSONResponse(task_json(view, ping_base(request)), status_code=201)

    @router.post(
        "/{monitor_id}/cron-checks/sync",
        responses=schemas.WITH_422,
        summary="Replace a monitor's cron checks with these (matched by name)",
        operation_id=f"sync{name}CronChecks",
    )
    def sync_tasks(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        payload: AnyBody = None,
    ) -> Response:
        views = services.cron.sync(who, monitor_id, payload)
        base = ping_base(request)
        return FastJSONResponse({"data": [task_json(view, base) for view in views]})

    @router.put(
        "/{monitor_id}/cron-checks/{task_id}",
        responses=ONE,
        summary="Update a monitor's cron check",
        operation_id=f"update{name}CronCheck",
    )
    def update_task(
        request: Request,
        monitor_id: MonitorId,
        task_id: TaskId,
        who: PrincipalDep,
        services: ServicesDep,
        payload: AnyBody = None,
    ) -> Response:
        view = services.cron.update(who, task_id, payload, monitor_id=monitor_id)
        return FastJSONResponse(task_json(view, ping_base(request)))

    @router.delete(
        "/{monitor_id}/cron-checks/{task_id}",
        status_code=204,
        responses=schemas.ERRORS,
        summary="Delete a monitor's cron check",
        operation_id=f"delete{name}CronCheck",
    )
    def delete_task(
        monitor_id: MonitorId, task_id: TaskId, who: PrincipalDep, services: ServicesDep
    ) -> Response:
        services.cron.delete(who, task_id, monitor_id=monitor_id)
        return Response(status_code=204)

    return router


tasks_router = APIRouter(prefix="/cron-checks", tags=["cron-checks"])


@tasks_router.put("/{task_id}", responses=ONE, summary="Update a cron check", operation_id="updateCronCheck")
def update_task(
    request: Request, task_id: TaskId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
) -> Response:
    return FastJSONResponse(task_json(services.cron.update(who, task_id, payload), ping_base(request)))


@tasks_router.delete(
    "/{task_id}",
    status_code=204,
    responses=schemas.ERRORS,
    summary="Delete a cron check",
    operation_id="deleteCronCheck",
)
def delete_task(task_id: TaskId, who: PrincipalDep, services: ServicesDep) -> Response:
    services.cron.delete(who, task_id)
    return Response(status_code=204)


@tasks_router.post(
    "/{task_id}/snooze",
    responses=ONE,
    openapi_extra=schemas.json_body(schemas.SnoozeRequestBody.model_json_schema()),
    summary="Mute a cron check for some minutes",
    operation_id="snoozeCronCheck",
)
def snooze_task(
    request: Request, task_id: TaskId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
) -> Response:
    return FastJSONResponse(task_json(services.cron.snooze(who, task_id, payload), ping_base(request)))


@tasks_router.post(
    "/{task_id}/unsnooze",
    responses=ONE,
    summary="End a cron check's snooze",
    operation_id="unsnoozeCronCheck",
)
def unsnooze_task(request: Request, task_id: TaskId, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(task_json(services.cron.unsnooze(who, task_id), ping_base(request)))
