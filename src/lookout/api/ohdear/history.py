"""A monitor's history: check runs, uptime, downtime and uptime metrics; deleting downtime.

`build_router` is mounted under /monitors and, like the monitors router, /sites.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import filters, schemas
from lookout.api.ohdear.history_presenters import METRIC_PRESENTERS, downtime_json, run_json, uptime_json
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.services.history import MetricKind, TooManyPeriods

MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DowntimeId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_DATE = "UTC date and time as YmdHis, e.g. 20260317003000"

# Declared so the OpenAPI description shows them; `filters` reads them with Laravel's
# messages (FastAPI's own validation would key errors as `filter[start]`).
StartedAfter = Annotated[str | None, Query(alias="filter[started_after]", description=_DATE)]
StartedBefore = Annotated[str | None, Query(alias="filter[started_before]", description=_DATE)]
ResultFilter = Annotated[
    str | None, Query(alias="filter[result]", description="succeeded, warning or failed")
]
StartedAt = Annotated[str | None, Query(alias="filter[started_at]", description=_DATE)]
EndedAt = Annotated[str | None, Query(alias="filter[ended_at]", description=_DATE)]
Split = Annotated[
    str | None, Query(alias="split", description="hour, day or month (required, here or as filter[split])")
]
FilterSplit = Annotated[str | None, Query(alias="filter[split]", description="alias of split")]
Start = Annotated[str | None, Query(alias="filter[start]", description=f"required; {_DATE}")]
End = Annotated[str | None, Query(alias="filter[end]", description=f"required; {_DATE}")]
GroupBy = Annotated[
    str | None, Query(alias="filter[group_by]", description="minute (default), hour, day, week, month")
]

_METRIC_BODIES: dict[MetricKind, type[Any]] = {
    "http": schemas.HttpMetricsBody,
    "ping": schemas.PingMetricsBody,
    "tcp": schemas.TcpMetricsBody,
}


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    name = prefix.strip("/")

    @router.get(
        "/{monitor_id}/checks/{check_type}/runs",
        responses={200: {"model": schemas.CheckRunPageBody}, **schemas.WITH_422},
        summary="Finished runs of one check, newest first",
        operation_id=f"list{name}CheckRuns",
    )
    def check_runs(
        request: Request,
        monitor_id: MonitorId,
        check_type: str,
        who: PrincipalDep,
        services: ServicesDep,
        _after: StartedAfter = None,
        _before: StartedBefore = None,
        _result: ResultFilter = None,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        query = filters.runs_filter(request.query_params)
        page, size = page_request(request.query_params)
        result = services.history.runs(
            who,
            monitor_id,
            check_type,
            page,
            size,
            started_after=query.started_after,
            started_before=query.started_before,
            result=query.result,
        )
        data = [run_json(run) for run in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.get(
        "/{monitor_id}/uptime",
        responses={200: {"model": schemas.UptimeListBody}, **schemas.WITH_422},
        summary="Uptime percentage per hour, day or month",
        operation_id=f"get{name}Uptime",
    )
    def uptime(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _started_at: StartedAt = None,
        _ended_at: EndedAt = None,
        _split: Split = None,
        _filter_split: FilterSplit = None,
    ) -> Response:
        query = filters.uptime_filter(request.query_params)
        try:
            series = services.history.uptime(who, monitor_id, query.started_at, query.ended_at, query.split)
        except TooManyPeriods as exc:
            raise filters.period_limit(exc, "split", "use a larger split or a shorter period") from exc
        return FastJSONResponse(uptime_json(series))

    @router.get(
        "/{monitor_id}/downtime",
        responses={200: {"model": schemas.DowntimePageBody}, **schemas.WITH_422},
        summary="Downtime periods, newest first",
        operation_id=f"list{name}Downtime",
    )
    def downtime(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _started_at: StartedAt = None,
        _ended_at: EndedAt = None,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        query = filters.downtime_filter(request.query_params)
        page, size = page_request(request.query_params)
        result = services.history.downtime(
            who, monitor_id, page, size, start=query.started_at, end=query.ended_at
        )
        data = [downtime_json(period) for period in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    for kind, body in _METRIC_BODIES.items():
        _add_metrics_route(router, name, kind, body)
    return router


def _add_metrics_route(router: APIRouter, name: str, kind: MetricKind, body: type[Any]) -> None:
    present = METRIC_PRESENTERS[kind]

    @router.get(
        f"/{{monitor_id}}/{kind}-uptime-metrics",
        responses={200: {"model": body}, **schemas.WITH_422},
        summary=f"Uptime metrics of a {kind} monitor (404 for other monitor types)",
        operation_id=f"get{name}{kind.capitalize()}UptimeMetrics",
    )
    def metrics(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _start: Start = None,
        _end: End = None,
        _group_by: GroupBy = None,
    ) -> Response:
        query = filters.metrics_filter(request.query_params, services.history.metrics_window)
        try:
            points = services.history.metrics(who, monitor_id, kind, query.start, query.end, query.group_by)
        except TooManyPeriods as exc:
            advice = "use a larger filter.group by or a shorter period"
            raise filters.period_limit(exc, "filter.group_by", advice) from exc
        return FastJSONResponse({"data": [present(point) for point in points]})


downtime_router = APIRouter(prefix="/downtime", tags=["downtime"])


@downtime_router.delete(
    "/{downtime_id}",
    status_code=204,
    responses={204: {"description": "Deleted"}, **schemas.ERRORS},
    summary="Delete a downtime period",
    operation_id="deleteDowntime",
)
def delete_downtime(downtime_id: DowntimeId, who: PrincipalDep, services: ServicesDep) -> Response:
    services.history.delete_downtime(who, downtime_id)
    return Response(status_code=204)
