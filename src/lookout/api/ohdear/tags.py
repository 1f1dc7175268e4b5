"""Tags and tag groups (A17). Tag objects keep Oh Dear's key `sites` for their monitors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.services.tags import TagGroupView, TagView

AnyBody = Annotated[Any, Body()]
GroupId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class TaggedSiteBody(BaseModel):
    id: int
    team_id: int
    url: str
    sort_url: str
    label: str


class TagBody(BaseModel):
    id: int
    team_id: int
    team_name: str
    name: str
    slug: str
    sites: list[TaggedSiteBody]
    created_at: str
    updated_at: str


class TagListBody(BaseModel):
    data: list[TagBody]


class TagGroupBody(BaseModel):
    id: int
    team_id: int
    team_name: str
    label: str
    tags: list[TagBody]
    created_at: str
    updated_at: str


class TagGroupListBody(BaseModel):
    data: list[TagGroupBody]


class TagRequest(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    team_id: int | None = Field(default=None, description="required when you belong to several teams")


class TagGroupRequest(BaseModel):
    label: str = Field(min_length=1, max_length=255)
    team_id: int | None = Field(default=None, description="required when you belong to several teams")
    tags: list[str | int] = Field(default_factory=list, description="tag names (made when missing) or ids")


def tag_json(view: TagView) -> dict[str, Any]:
    tag = view.tag
    return {
        "id": tag.id,
        "team_id": tag.team_id,
        "team_name": tag.team_name,
        "name": tag.name,
        "slug": tag.slug,
        "sites": [
            {"id": m.id, "team_id": m.team_id, "url": m.url, "sort_url": m.sort_url, "label": m.label}
            for m in view.monitors
        ],
        "created_at": stamp(tag.created_at),
        "updated_at": stamp(tag.updated_at),
    }


def group_json(view: TagGroupView) -> dict[str, Any]:
    return {
        "id": view.id,
        "team_id": view.team_id,
        "team_name": view.team_name,
        "label": view.label,
        "tags": [tag_json(tag) for tag in view.tags],
        "created_at": stamp(view.created_at),
        "updated_at": stamp(view.updated_at),
    }


tags_router = APIRouter(prefix="/tags", tags=["tags"])


@tags_router.get(
    "",
    responses={200: {"model": TagListBody}, **schemas.ERRORS},
    summary="Your teams' tags",
    operation_id="listTags",
)
def list_tags(who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse({"data": [tag_json(view) for view in services.tags.tags(who)]})


@tags_router.post(
    "",
    status_code=201,
    responses={201: {"model": TagBody}, **schemas.WITH_422},
    openapi_extra=schemas.json_body(TagRequest.model_json_schema()),
    summary="Create a tag",
    operation_id="createTag",
)
def create_tag(who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
    return FastJSONResponse(tag_json(services.tags.create_tag(who, payload)), status_code=201)


groups_router = APIRouter(prefix="/tag-groups", tags=["tags"])
_GROUP_LINKS = {
    "GetTagGroup": {"operationId": "getTagGroup", "parameters": {"group_id": "$response.body#/id"}},
    "UpdateTagGroup": {"operationId": "updateTagGroup", "parameters": {"group_id": "$response.body#/id"}},
    "DeleteTagGroup": {"operationId": "deleteTagGroup", "parameters": {"group_id": "$response.body#/id"}},
}


@groups_router.get(
    "",
    responses={200: {"model": TagGroupListBody}, **schemas.ERRORS},
    summary="Your teams' tag groups",
    operation_id="listTagGroups",
)
def list_groups(who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse({"data": [group_json(view) for view in services.tags.groups(who)]})


@groups_router.post(
    "",
    status_code=201,
    responses={201: {"model": TagGroupBody, "links": _GROUP_LINKS}, **schemas.WITH_422},
    openapi_extra=schemas.json_body(TagGroupRequest.model_json_schema()),
    summary="Create a tag group",
    operation_id="createTagGroup",
)
def create_group(who: PrincipalDep, services: ServicesDep, payload: AnyBody = None) -> Response:
    return FastJSONResponse(group_json(services.tags.create_group(who, payload)), status_code=201)


@groups_router.get(
    "/{group_id}",
    responses={200: {"model": TagGroupBody}, **schemas.ERRORS},
    summary="Get a tag group",
    operation_id="getTagGroup",
)
def get_group(group_id: GroupId, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(group_json(services.tags.group(who, group_id)))


@groups_router.put(
    "/{group_id}",
    responses={200: {"model": TagGroupBody}, **schemas.WITH_422},
    openapi_extra=schemas.json_body(TagGroupRequest.model_json_schema()),
    summary="Change a tag group's label or tags",
    operation_id="updateTagGroup",
)
def update_group(
    group_id: GroupId, who: PrincipalDep, services: ServicesDep, payload: AnyBody = None
) -> Response:
    return FastJSONResponse(group_json(services.tags.update_group(who, group_id, payload)))


@groups_router.delete(
    "/{group_id}",
    status_code=204,
    responses={204: {"description": "Deleted"}, **schemas.ERRORS},
    summary="Delete a tag group",
    operation_id="deleteTagGroup",
)
def delete_group(group_id: GroupId, who: PrincipalDep, services: ServicesDep) -> Response:
    services.tags.delete_group(who, group_id)
    return Response(status_code=204)
