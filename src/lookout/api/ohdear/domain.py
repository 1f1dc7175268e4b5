"""`GET /monitors/{id}/domain`: what the domain check last read from RDAP (or WHOIS).

Fields as Oh Dear has them (A14), plus `not_supported_reason` when the domain's registry
speaks neither RDAP nor WHOIS. All null until the check has run.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.services.domain_registrations import DomainView

MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class DomainBody(BaseModel):
    expires_at: str | None
    registered_at: str | None
    last_changed_at: str | None
    last_updated_in_rdap_db_at: str | None
    domain_statuses: list[str]
    rdap_domain_response: dict[str, Any]
    not_supported_reason: str | None
    created_at: str | None


def domain_json(view: DomainView) -> dict[str, Any]:
    return {
        "expires_at": stamp(view.expires_at),
        "registered_at": stamp(view.registered_at),
        "last_changed_at": stamp(view.last_changed_at),
        "last_updated_in_rdap_db_at": stamp(view.last_updated_in_rdap_db_at),
        "domain_statuses": view.domain_statuses,
        "rdap_domain_response": view.response,
        "not_supported_reason": view.not_supported_reason,
        "created_at": stamp(view.created_at),
    }


def build_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    name = prefix.strip("/")

    @router.get(
        "/{monitor_id}/domain",
        responses={200: {"model": DomainBody}, **schemas.ERRORS},
        summary="Domain registration data (expiry, statuses) from the domain check",
        operation_id=f"get{name}Domain",
    )
    def domain(monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep) -> Response:
        return FastJSONResponse(domain_json(services.domain_registrations.get(who, monitor_id)))

    return router
