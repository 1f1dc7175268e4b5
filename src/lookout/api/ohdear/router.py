"""Everything under /api, assembled."""

from __future__ import annotations

from fastapi import APIRouter

from lookout.api.ohdear import me, monitors


def build_api_router() -> APIRouter:
    api = APIRouter(prefix="/api")
    api.include_router(me.router)
    api.include_router(monitors.build_router("/monitors"))
    api.include_router(monitors.build_router("/sites"))
    return api
