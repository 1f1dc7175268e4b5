"""What the engine's process answers its API workers on its private Unix socket: the
engine's state for their /ready, a run requested through their API, and (with the ops
router beside it) /metrics. Never mounted on a listening TCP port: the socket's directory is
the only access control (mode 0700, see `workers.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

CheckId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def build_internal_router() -> APIRouter:
    router = APIRouter(prefix="/internal", include_in_schema=False)

    @router.get("/engine")
    def engine_state(request: Request) -> dict[str, Any]:
        engine = request.app.state.engine
        if engine is None:
            return {
                "running": False,
                "seconds_since_tick": None,
                "in_flight": {},
                "check_processes": 0,
            }
        state: dict[str, Any] = engine.health()
        return state

    @router.post("/checks/{check_id}/run")
    async def run_check(request: Request, check_id: CheckId) -> dict[str, bool]:
        engine = request.app.state.engine
        queued = engine is not None and await engine.request_run(check_id)
        return {"queued": bool(queued)}

    return router
