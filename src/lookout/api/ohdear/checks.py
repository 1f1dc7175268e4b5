"""Check actions: enable, disable, request a run, snooze, unsnooze. Each answers 200 with
the check as it now stands, in the shape of a monitor's `checks` items."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.presenters import check_view_json
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.services.checks import run_request_headers

AnyBody = Annotated[Any, Body()]
CheckId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"model": schemas.CheckBody}, **schemas.ERRORS}


class RunRequester(Protocol):
    async def request_run(self, check_id: int) -> bool: ...


router = APIRouter(prefix="/checks", tags=["checks"])


@router.post(
    "/{check_id}/enable", responses=CHECK_RESPONSES, summary="Enable a check", operation_id="enableCheck"
)
def enable(check_id: CheckId, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(check_view_json(services.checks.enable(who, check_id)))


@router.post(
    "/{check_id}/disable", responses=CHECK_RESPONSES, summary="Disable a check", operation_id="disableCheck"
)
def disable(check_id: CheckId, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(check_view_json(services.checks.disable(who, check_id)))


@router.post(
    "/{check_id}/request-run",
    responses={**CHECK_RESPONSES, **schemas.WITH_422},
    openapi_extra=schemas.json_body(schemas.RequestRunBody.model_json_schema(), required=False),
    summary="Run a check now (queued; the answer shows the result so far)",
    operation_id="requestCheckRun",
)
async def request_run(
    request: Request, check_id: CheckId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
) -> Response:
    # Accepted for compatibility; runs use the monitor's own headers.
    run_request_headers(payload)
    view = await run_in_threadpool(services.checks.get, who, check_id)
    engine: RunRequester | None = getattr(request.app.state, "engine", None)
    if engine is not None:
        await engine.request_run(check_id)
    return FastJSONResponse(check_view_json(view))


@router.post(
    "/{check_id}/snooze",
    responses={**CHECK_RESPONSES, **schemas.WITH_422},
    openapi_extra=schemas.json_body(schemas.SnoozeRequestBody.model_json_schema()),
    summary="Mute a check's notifications for some minutes",
    operation_id="snoozeCheck",
)
def snooze(check_id: CheckId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
    return FastJSONResponse(check_view_json(services.checks.snooze(who, check_id, payload)))


@router.post(
    "/{check_id}/unsnooze",
    responses=CHECK_RESPONSES,
    summary="End a check's snooze",
    operation_id="unsnoozeCheck",
)
def unsnooze(check_id: CheckId, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(check_view_json(services.checks.unsnooze(who, check_id)))
