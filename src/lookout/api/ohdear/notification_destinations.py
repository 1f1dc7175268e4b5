"""Notification destinations (A19) at team, monitor, tag and tag-group level, and a test
message for each. Lists answer `{"data": [...]}`, as Oh Dear's fixtures do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.errors import ValidationFailed
from lookout.services.notifications import DestinationView, Level, LevelKind

AnyBody = Annotated[Any, Body()]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class DestinationBody(BaseModel):
    id: int
    label: str | None
    team_id: int | None = None
    channel: str
    destination: dict[str, Any]
    notification_types: list[str]
    enabled: bool
    disabled_reason: str | None
    secret: str | None = Field(
        default=None, description="the webhook signing secret, in the creating answer only"
    )


class DestinationListBody(BaseModel):
    data: list[DestinationBody]


class DestinationRequest(BaseModel):
    channel: str = Field(
        description="webhook, mail, slack, discord, telegram, teams, pushover, ntfy, gotify, ..."
    )
    destination: dict[str, Any] = Field(description='e.g. {"mail": "a@b.test"} or {"url": "https://..."}')
    label: str | None = None
    notification_types: list[str] = Field(default_factory=list, description="class names; empty means all")
    enabled: bool = True


class TestSentBody(BaseModel):
    message: str


ONE = {200: {"model": DestinationBody}, **schemas.WITH_422}
CREATED = {201: {"model": DestinationBody}, **schemas.WITH_422}
LIST = {200: {"model": DestinationListBody}, **schemas.ERRORS}
TEST = {200: {"model": TestSentBody}, **schemas.WITH_422}
BODY = schemas.json_body(DestinationRequest.model_json_schema())


def destination_json(view: DestinationView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": view.id,
        "label": view.label,
        "channel": view.channel,
        "destination": dict(view.destination),
        "notification_types": view.notification_types,
        "enabled": view.enabled,
        "disabled_reason": view.disabled_reason,
    }
    if view.level == "team":
        body["team_id"] = view.team_id
    if view.tag is not None:
        body["tag"] = {"id": view.tag[0], "name": view.tag[1]}
    if view.tag_group is not None:
        body["tagGroup"] = {"id": view.tag_group[0], "label": view.tag_group[1]}
    if view.secret is not None:
        body["destination"]["secret"] = view.secret
        body["secret"] = view.secret
    return body


def _list(views: list[DestinationView]) -> Response:
    return FastJSONResponse({"data": [destination_json(view) for view in views]})


def _level_routes(router: APIRouter, kind: LevelKind, base: str, item: str, name: str) -> None:
    """POST `base`, PUT/DELETE `item`, POST `item`/test for one level (`{owner}` and
    `{destination_id}` in the paths)."""

    @router.post(
        base, status_code=201, responses=CREATED, openapi_extra=BODY, operation_id=f"create{name}Destination"
    )
    async def create(
        owner: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
    ) -> Response:
        view = await services.notifications.create(who, Level(kind, owner), payload)
        return FastJSONResponse(destination_json(view), status_code=201)

    @router.put(item, responses=ONE, openapi_extra=BODY, operation_id=f"update{name}Destination")
    async def update(
        owner: Id, destination_id: Id, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
    ) -> Response:
        view = await services.notifications.update(who, Level(kind, owner), destination_id, payload)
        return FastJSONResponse(destination_json(view))

    @router.delete(item, status_code=204, responses=schemas.ERRORS, operation_id=f"delete{name}Destination")
    def delete(owner: Id, destination_id: Id, who: PrincipalDep, services: ServicesDep) -> Response:
        services.notifications.delete(who, Level(kind, owner), destination_id)
        return Response(status_code=204)

    @router.post(item + "/test", responses=TEST, operation_id=f"test{name}Destination")
    async def send_test(owner: Id, destination_id: Id, who: PrincipalDep, services: ServicesDep) -> Response:
        attempt = await services.notifications.send_test(who, Level(kind, owner), destination_id)
        if not attempt.ok:
            raise ValidationFailed(
                {"destination": [f"The test notification could not be delivered: {attempt.error}"]}
            )
        return FastJSONResponse({"message": "Test notification sent."})


def build_router() -> APIRouter:
    router = APIRouter(tags=["notification destinations"])

    @router.get("/team-notification-destinations", responses=LIST, operation_id="listTeamDestinations")
    def list_team(who: PrincipalDep, services: ServicesDep) -> Response:
        return _list(services.notifications.listed(who, Level("team")))

    @router.get("/tags/notification-destinations", responses=LIST, operation_id="listTagDestinations")
    def list_tags(who: PrincipalDep, services: ServicesDep) -> Response:
        return _list(services.notifications.listed(who, Level("tag")))

    @router.get(
        "/monitors/{owner}/notification-destinations", responses=LIST, operation_id="listMonitorDestinations"
    )
    async def list_monitor(owner: Id, who: PrincipalDep, services: ServicesDep) -> Response:
        return _list(await run_in_threadpool(services.notifications.listed, who, Level("monitor", owner)))

    @router.get(
        "/tag-groups/{owner}/notification-destinations",
        responses=LIST,
        operation_id="listTagGroupDestinations",
    )
    def list_group(owner: Id, who: PrincipalDep, services: ServicesDep) -> Response:
        return _list(services.notifications.listed(who, Level("tag_group", owner)))

    _level_routes(
        router,
        "team",
        "/team-notification-destinations/{owner}",
        "/team-notification-destinations/{owner}/destination/{destination_id}",
        "Team",
    )
    _level_routes(
        router,
        "monitor",
        "/monitors/{owner}/notification-destinations",
        "/monitors/{owner}/notification-destinations/{destination_id}",
        "Monitor",
    )
    _level_routes(
        router,
        "tag",
        "/tags/{owner}/notification-destinations",
        "/tags/{owner}/notification-destinations/{destination_id}",
        "Tag",
    )

    # Oh Dear deletes a tag's destination at .../destination/{destId}.
    @router.delete(
        "/tags/{owner}/notification-destinations/destination/{destination_id}",
        status_code=204,
        responses=schemas.ERRORS,
        operation_id="deleteTagDestinationLegacy",
    )
    def delete_tag_destination(
        owner: Id, destination_id: Id, who: PrincipalDep, services: ServicesDep
    ) -> Response:
        services.notifications.delete(who, Level("tag", owner), destination_id)
        return Response(status_code=204)

    _level_routes(
        router,
        "tag_group",
        "/tag-groups/{owner}/notification-destinations",
        "/tag-groups/{owner}/notification-destinations/{destination_id}",
        "TagGroup",
    )
    return router
