"""Maintenance windows (A15): a monitor's one-off periods, start/stop now, recurring windows.

Period times are in the team's time zone, in and out, as Oh Dear writes them; list filters
are YmdHis in UTC like every other filter. `build_router` is mounted under /monitors and
/sites; `periods_router` and `recurring_router` hold the routes addressed by their own id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import filters, schemas
from lookout.api.ohdear.history import EndedAt, StartedAt
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.model.maintenance import zone
from lookout.services.maintenance import PeriodView, RecurringView

AnyBody = Annotated[Any, Body()]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
_LOCAL = "date and time in the team's time zone, `Y-m-d H:i`"


class PeriodBody(BaseModel):
    id: int
    monitor_id: int
    name: str | None
    starts_at: str
    ends_at: str


class PeriodPageBody(BaseModel):
    data: list[PeriodBody]


class RecurringBody(BaseModel):
    id: int
    monitor_id: int
    name: str | None
    recurrence_type: str
    start_time: str
    end_time: str
    days_of_week: list[int]
    day_of_month: int | None
    human_readable_schedule: str
    last_generated_until: str | None
    created_at: str
    updated_at: str


class RecurringListBody(BaseModel):
    data: list[RecurringBody]


class PeriodRequest(BaseModel):
    starts_at: str = Field(description=_LOCAL)
    ends_at: str = Field(description=_LOCAL)
    name: str | None = Field(default=None, max_length=255)


class NewPeriodRequest(PeriodRequest):
    monitor_id: int = Field(ge=1)


class StartRequest(BaseModel):
    stop_maintenance_after_seconds: int = Field(default=3600, ge=5, le=366 * 86400)
    name: str | None = Field(default=None, max_length=255)


class StopRequest(BaseModel):
    delay_seconds: int | None = Field(default=None, ge=1, le=366 * 86400)


class RecurringRequest(BaseModel):
    recurrence_type: str = Field(default="weekly", description="daily, weekly or monthly")
    start_time: str = Field(description="HH:MM in the team's time zone")
    end_time: str = Field(description="HH:MM; at or before start_time ends the next day")
    days_of_week: list[int] = Field(default_factory=list, description="ISO weekdays, 1 = Monday")
    day_of_month: int | None = Field(default=None, ge=1, le=31)
    name: str | None = Field(default=None, max_length=255)


class NewRecurringRequest(RecurringRequest):
    monitor_id: int = Field(ge=1)


def period_json(view: PeriodView) -> dict[str, Any]:
    tz = zone(view.timezone)
    return {
        "id": view.id,
        "monitor_id": view.monitor_id,
        "name": view.name,
        "starts_at": stamp(view.starts_at.astimezone(tz)),
        "ends_at": stamp(view.ends_at.astimezone(tz)),
    }


def recurring_json(view: RecurringView) -> dict[str, Any]:
    return {
        "id": view.id,
        "monitor_id": view.monitor_id,
        "name": view.name,
        "recurrence_type": view.recurrence_type,
        "start_time": view.start_time,
        "end_time": view.end_time,
        "days_of_week": list(view.days_of_week),
        "day_of_month": view.day_of_month,
        "human_readable_schedule": view.human_readable_schedule,
        # Occurrences are computed when asked, never generated ahead.
        "last_generated_until": None,
        "created_at": stamp(view.created_at),
        "updated_at": stamp(view.updated_at),
    }


_PERIOD = {200: {"model": PeriodBody}, **schemas.WITH_422}
_CREATED_PERIOD = {201: {"model": PeriodBody}, **schemas.WITH_422}
_RECURRING = {200: {"model": RecurringBody}, **schemas.WITH_422}
_CREATED_RECURRING = {201: {"model": RecurringBody}, **schemas.WITH_422}
_DELETED = {204: {"description": "Deleted"}, **schemas.ERRORS}


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    name = prefix.strip("/")

    @router.get(
        "/{monitor_id}/maintenance-periods",
        responses={200: {"model": PeriodPageBody}, **schemas.WITH_422},
        summary="A monitor's maintenance periods, newest first",
        operation_id=f"list{name}MaintenancePeriods",
    )
    def list_periods(
        request: Request,
        monitor_id: Id,
        who: PrincipalDep,
        services: ServicesDep,
        _started_at: StartedAt = None,
        _ended_at: EndedAt = None,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        query = filters.downtime_filter(request.query_params)
        page, size = page_request(request.query_params)
        result = services.maintenance.periods(
            who, monitor_id, page, size, start=query.started_at, end=query.ended_at
        )
        data = [period_json(view) for view in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.post(
        "/{monitor_id}/maintenance-periods",
        status_code=201,
        responses=_CREATED_PERIOD,
        openapi_extra=schemas.json_body(PeriodRequest.model_json_schema()),
        summary="Plan a maintenance period of a monitor",
        operation_id=f"create{name}MaintenancePeriod",
    )
    def add_period(
        monitor_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
    ) -> Response:
        view = services.maintenance.add_period(who, monitor_id, payload)
        return FastJSONResponse(period_json(view), status_code=201)

    @router.post(
        "/{monitor_id}/start-maintenance",
        status_code=201,
        responses=_CREATED_PERIOD,
        openapi_extra=schemas.json_body(StartRequest.model_json_schema(), required=False),
        summary="Start maintenance now, for stop_maintenance_after_seconds (default 3600)",
        operation_id=f"start{name}Maintenance",
    )
    def start(monitor_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
        return FastJSONResponse(
            period_json(services.maintenance.start(who, monitor_id, payload)), status_code=201
        )

    @router.post(
        "/{monitor_id}/stop-maintenance",
        status_code=204,
        responses={204: {"description": "Stopped"}, **schemas.WITH_422},
        openapi_extra=schemas.json_body(StopRequest.model_json_schema(), required=False),
        summary="End the running maintenance periods now or after delay_seconds",
        operation_id=f"stop{name}Maintenance",
    )
    def stop(monitor_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
        services.maintenance.stop(who, monitor_id, payload)
        return Response(status_code=204)

    @router.get(
        "/{monitor_id}/recurring-maintenance-periods",
        responses={200: {"model": RecurringListBody}, **schemas.ERRORS},
        summary="A monitor's recurring maintenance windows",
        operation_id=f"list{name}RecurringMaintenance",
    )
    def list_recurring(monitor_id: Id, who: PrincipalDep, services: ServicesDep) -> Response:
        views = services.maintenance.recurring(who, monitor_id)
        return FastJSONResponse({"data": [recurring_json(view) for view in views]})

    @router.post(
        "/{monitor_id}/recurring-maintenance-periods",
        status_code=201,
        responses=_CREATED_RECURRING,
        openapi_extra=schemas.json_body(RecurringRequest.model_json_schema()),
        summary="Add a recurring maintenance window to a monitor",
        operation_id=f"create{name}RecurringMaintenance",
    )
    def add_recurring(
        monitor_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
    ) -> Response:
        view = services.maintenance.add_recurring(who, monitor_id, payload)
        return FastJSONResponse(recurring_json(view), status_code=201)

    return router


periods_router = APIRouter(prefix="/maintenance-periods", tags=["maintenance-periods"])


@periods_router.post(
    "",
    status_code=201,
    responses=_CREATED_PERIOD,
    openapi_extra=schemas.json_body(NewPeriodRequest.model_json_schema()),
    summary="Plan a maintenance period (monitor_id in the body)",
    operation_id="createMaintenancePeriod",
)
def create_period(who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
    return FastJSONResponse(period_json(services.maintenance.add_period(who, None, payload)), status_code=201)


@periods_router.put(
    "/{period_id}",
    responses=_PERIOD,
    openapi_extra=schemas.json_body(PeriodRequest.model_json_schema()),
    summary="Change a maintenance period",
    operation_id="updateMaintenancePeriod",
)
def update_period(
    period_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
) -> Response:
    return FastJSONResponse(period_json(services.maintenance.update_period(who, period_id, payload)))


@periods_router.delete(
    "/{period_id}",
    status_code=204,
    responses=_DELETED,
    summary="Delete a maintenance period",
    operation_id="deleteMaintenancePeriod",
)
def delete_period(period_id: Id, who: PrincipalDep, services: ServicesDep) -> Response:
    services.maintenance.delete_period(who, period_id)
    return Response(status_code=204)


recurring_router = APIRouter(prefix="/recurring-maintenance-periods", tags=["maintenance-periods"])


@recurring_router.post(
    "",
    status_code=201,
    responses=_CREATED_RECURRING,
    openapi_extra=schemas.json_body(NewRecurringRequest.model_json_schema()),
    summary="Add a recurring maintenance window (monitor_id in the body)",
    operation_id="createRecurringMaintenance",
)
def create_recurring(who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
    view = services.maintenance.add_recurring(who, None, payload)
    return FastJSONResponse(recurring_json(view), status_code=201)


@recurring_router.get(
    "/{recurring_id}",
    responses={200: {"model": RecurringBody}, **schemas.ERRORS},
    summary="Get a recurring maintenance window",
    operation_id="getRecurringMaintenance",
)
def get_recurring(recurring_id: Id, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(recurring_json(services.maintenance.get_recurring(who, recurring_id)))


@recurring_router.put(
    "/{recurring_id}",
    responses=_RECURRING,
    openapi_extra=schemas.json_body(RecurringRequest.model_json_schema()),
    summary="Change a recurring maintenance window",
    operation_id="updateRecurringMaintenance",
)
def update_recurring(
    recurring_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
) -> Response:
    view = services.maintenance.update_recurring(who, recurring_id, payload)
    return FastJSONResponse(recurring_json(view))


@recurring_router.delete(
    "/{recurring_id}",
    status_code=204,
    responses=_DELETED,
    summary="Delete a recurring maintenance window",
    operation_id="deleteRecurringMaintenance",
)
def delete_recurring(recurring_id: Id, who: PrincipalDep, services: ServicesDep) -> Response:
    services.maintenance.delete_recurring(who, recurring_id)
    return Response(status_code=204)
