"""Routers included flat: the parent gets copies of the child's routes, prefixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from lookout.api.flat import include_flat
from lookout.app import create_app
from lookout.settings import Settings


def _child() -> APIRouter:
    child = APIRouter(prefix="/things", tags=["things"])

    @child.get("/{thing_id}", status_code=203, operation_id="getThing")
    def get_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    return child


def test_the_parent_holds_the_routes_with_both_prefixes_and_the_child_s_options() -> None:
    api = APIRouter(prefix="/api", tags=["api"])
    include_flat(api, _child())
    app = FastAPI()
    include_flat(app.router, api)

    routes = [route for route in app.router.routes if isinstance(route, APIRoute)]
    assert [(route.path, route.tags, route.status_code) for route in routes] == [
        ("/api/things/{thing_id}", ["api", "things"], 203)
    ]
    response = TestClient(app).get("/api/things/7")
    assert (response.status_code, response.json()) == (203, {"id": 7})
    assert "getThing" in str(app.openapi())


def test_a_route_it_cannot_copy_is_refused() -> None:
    child = APIRouter()
    child.routes.append(Route("/plain", lambda request: None))
    with pytest.raises(TypeError):
        include_flat(APIRouter(), child)


def test_the_app_routes_every_request_through_one_flat_list(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, run_engine=False))
    branches = [route for route in app.router.routes if not isinstance(route, Route | Mount)]
    assert branches == []  # FastAPI's included routers would be here
    assert any(getattr(route, "path", "") == "/api/monitors/{monitor_id}" for route in app.router.routes)
