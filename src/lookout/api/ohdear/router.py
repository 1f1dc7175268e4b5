"""Everything under /api, assembled."""

from __future__ import annotations

from fastapi import APIRouter

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
    api.include_router(me.router)
    api.include_router(checks.router)
    api.include_router(history.downtime_router)
    api.include_router(certificate_routes.health_router)
    api.include_router(site_health_routes.router)
    api.include_router(tag_routes.tags_router)
    api.include_router(tag_routes.groups_router)
    api.include_router(maintenance_routes.periods_router)
    api.include_router(maintenance_routes.recurring_router)
    api.include_router(cron_routes.tasks_router)
    api.include_router(destination_routes.build_router())
    for prefix in ("/monitors", "/sites"):
        api.include_router(monitors.build_router(prefix))
        api.include_router(history.build_router(prefix))
        api.include_router(domain_routes.build_router(prefix))
        api.include_router(app_health_routes.build_router(prefix))
        api.include_router(network_history_routes.build_router(prefix))
        api.include_router(certificate_routes.build_detected_router(prefix))
        api.include_router(maintenance_routes.build_router(prefix))
        api.include_router(cron_routes.build_router(prefix))
    return api
