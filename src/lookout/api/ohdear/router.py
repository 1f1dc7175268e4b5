"""Everything under /api, assembled."""

from __future__ import annotations

from fastapi import APIRouter

from lookout.api.flat import include_flat
from lookout.api.ohdear import app_health as app_health_routes
from lookout.api.ohdear import certificates as certificate_routes
from lookout.api.ohdear import checks, history, me, monitors
from lookout.api.ohdear import cron_checks as cron_routes
from lookout.api.ohdear import domain as domain_routes
from lookout.api.ohdear import maintenance as maintenance_routes
from lookout.api.ohdear import network_history as network_history_routes
from lookout.api.ohdear import notification_destinations as destination_routes
from lookout.api.ohdear import site_health as site_health_routes
from lookout.api.ohdear import tags as tag_routes


def build_api_router() -> APIRouter:
    api = APIRouter(prefix="/api")
    include_flat(api, me.router)
    include_flat(api, checks.router)
    include_flat(api, history.downtime_router)
    include_flat(api, certificate_routes.health_router)
    include_flat(api, site_health_routes.router)
    include_flat(api, tag_routes.tags_router)
    include_flat(api, tag_routes.groups_router)
    include_flat(api, maintenance_routes.periods_router)
    include_flat(api, maintenance_routes.recurring_router)
    include_flat(api, cron_routes.tasks_router)
    include_flat(api, destination_routes.build_router())
    for prefix in ("/monitors", "/sites"):
        include_flat(api, monitors.build_router(prefix))
        include_flat(api, history.build_router(prefix))
        include_flat(api, domain_routes.build_router(prefix))
        include_flat(api, app_health_routes.build_router(prefix))
        include_flat(api, network_history_routes.build_router(prefix))
        include_flat(api, certificate_routes.build_detected_router(prefix))
        include_flat(api, maintenance_routes.build_router(prefix))
        include_flat(api, cron_routes.build_router(prefix))
    return api
