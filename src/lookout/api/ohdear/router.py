"""Everything under /api, assembled."""

from __future__ import annotations

from fastapi import APIRouter

from lookout.api.ohdear import checks, history, me, monitors


def build_api_router() -> APIRouter:
    api = APIRouter(prefix="/api")
    api.include_router(me.router)
    api.include_router(checks.router)
    api.include_router(history.downtime_router)
    for prefix in ("/monitors", "/sites"):
        api.include_router(monitors.build_router(prefix))
        api.include_router(history.build_router(prefix))
    return api
