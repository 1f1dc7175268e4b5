"""Operations endpoints: `/health` (alive), `/ready` (able to serve) and `/metrics`.

None of them needs the API token, and none says more than an operator's load balancer or
Prometheus needs: no settings, no secrets, no monitor data. `/metrics` can be given its own
token (`LOOKOUT_METRICS_TOKEN`).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from lookout import __version__, metrics
from lookout.api.engine_link import EngineLink, EngineUnreachableError
from lookout.services.health import HealthService

log = logging.getLogger(__name__)

# The scheduler ticks every second or so; this long without one means it is stuck.
MAX_SECONDS_SINCE_TICK = 30.0


def build_ops_router(health: HealthService, metrics_token: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/health")
    @router.get("/healthz")
    def alive() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @router.get("/ready")
    @router.get("/readyz")
    def ready(request: Request) -> Response:
        checks: dict[str, Any] = {}
        problems: list[str] = []
        database = health.database()
        checks["database"] = "ok" if database.ok else database.reason
        if not database.ok:
            problems.append(database.reason)
        engine = getattr(request.app.state, "engine", None)
        if engine is None:
            checks["engine"] = "off"
        else:
            try:
                state = engine.health()
            except EngineUnreachableError as error:
                problems.append(f"engine process unreachable: {error}")
                checks["engine"] = {"running": False, "seconds_since_tick": None}
                return _ready_answer(checks, problems)
            since = state["seconds_since_tick"]
            if not state["running"]:
                problems.append("engine not running")
            elif since is not None and since > MAX_SECONDS_SINCE_TICK:
                problems.append(f"scheduler has not ticked for {since:.0f} s")
            # Late checks are told, not a reason to take the process out of rotation: it
            # still serves, and every check still runs (see engine/lag_watch.py).
            checks["engine"] = {
                "running": state["running"],
                "seconds_since_tick": since,
                "behind_schedule": state.get("behind_schedule", False),
                "lag_last_minute": state.get("lag_last_minute"),
            }
        return _ready_answer(checks, problems)

    @router.get("/metrics")
    def scrape(request: Request) -> Response:
        if metrics_token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {metrics_token}".encode()):
                return JSONResponse({"message": "Unauthenticated."}, status_code=401)
        engine = getattr(request.app.state, "engine", None)
        if isinstance(engine, EngineLink):  # an API worker: every metric lives in the engine's process
            try:
                body, media_type = engine.metrics_text()
            except EngineUnreachableError as error:
                return JSONResponse({"message": f"Engine process unreachable: {error}"}, status_code=503)
            return Response(body, media_type=media_type)
        metrics.ENGINE_RUNNING.set(1 if engine is not None and engine.running else 0)
        if engine is not None:
            state = engine.health()
            for pool, count in state["in_flight"].items():
                metrics.RUNS_IN_FLIGHT.labels(pool).set(count)
            for (location, pool), count in engine.queued().items():
                metrics.QUEUE_DEPTH.labels(location=location, pool=pool).set(count)
            metrics.CHECK_PROCESSES.set(state.get("check_processes", 0))
            metrics.BEHIND_SCHEDULE.set(1 if state.get("behind_schedule") else 0)
        try:
            for kind, count in health.outbox_backlog().items():
                metrics.OUTBOX_BACKLOG.labels(kind).set(count)
        except Exception:  # a scrape still answers while the database does not (see /ready)
            log.warning("reading the outbox backlog for /metrics failed", exc_info=True)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _ready_answer(checks: dict[str, Any], problems: list[str]) -> Response:
    body = {"status": "ok" if not problems else "unavailable", "checks": checks, "problems": problems}
    return JSONResponse(body, status_code=200 if not problems else 503)
