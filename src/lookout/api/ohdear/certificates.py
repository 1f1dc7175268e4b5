"""Certificate health (A11): the latest verdict of a monitor's certificate, and the
certificates it has been seen with (detected certificates, mounted under /monitors and
/sites like the monitors router)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from lookout.api.deps import PrincipalDep, ServicesDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.pagination import PageNumber, PageSize, page_request, paginated
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.timefmt import stamp
from lookout.services.certificates import CertificateHealthView, DetectedCertificateView

MonitorId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CertificateId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class CertificateDetailsBody(BaseModel):
    issuer: str | None
    valid_from: str | None
    valid_until: str | None


class CertificateCheckBody(BaseModel):
    type: str
    label: str
    passed: bool


class CertificateHealthBody(BaseModel):
    certificate_details: CertificateDetailsBody
    certificate_checks: list[CertificateCheckBody]
    certificate_chain_issuers: list[str]


class DetectedDetailsBody(BaseModel):
    issuer: str
    domain: str
    additional_domains: list[str]
    valid_from: str | None
    valid_until: str | None
    days_until_expiration: int | None
    signature_algorithm: str
    is_valid: bool
    is_expired: bool


class DetectedCertificateBody(BaseModel):
    id: int
    monitor_id: int
    fingerprint: str
    certificate_details: DetectedDetailsBody
    created_at: str
    updated_at: str


class DetectedCertificatePageBody(BaseModel):
    data: list[DetectedCertificateBody]
    links: schemas.PageLinks
    meta: schemas.PageMeta


def health_json(view: CertificateHealthView) -> dict[str, Any]:
    return {
        "certificate_details": {
            "issuer": view.issuer,
            "valid_from": stamp(view.valid_from),
            "valid_until": stamp(view.valid_until),
        },
        "certificate_checks": [
            {"type": check.type, "label": check.label, "passed": check.passed} for check in view.checks
        ],
        "certificate_chain_issuers": list(view.chain_issuers),
    }


def detected_json(view: DetectedCertificateView) -> dict[str, Any]:
    return {
        "id": view.id,
        "monitor_id": view.monitor_id,
        "fingerprint": view.fingerprint,
        "certificate_details": {
            "issuer": view.issuer,
            "domain": view.domain,
            "additional_domains": list(view.additional_domains),
            "valid_from": stamp(view.valid_from),
            "valid_until": stamp(view.valid_until),
            "days_until_expiration": view.days_until_expiration,
            "signature_algorithm": view.signature_algorithm,
            "is_valid": view.is_valid,
            "is_expired": view.is_expired,
        },
        "created_at": stamp(view.first_seen_at),
        "updated_at": stamp(view.last_seen_at),
    }


health_router = APIRouter(tags=["certificate-health"])


@health_router.get(
    "/certificate-health/{monitor_id}",
    responses={200: {"model": CertificateHealthBody}, **schemas.WITH_422},
    summary="The certificate's latest verdict: details, every check, the chain's issuers",
    operation_id="getCertificateHealth",
)
def certificate_health(monitor_id: MonitorId, who: PrincipalDep, services: ServicesDep) -> Response:
    return FastJSONResponse(health_json(services.certificates.health(who, monitor_id)))


def build_detected_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")])
    name = prefix.strip("/")

    @router.get(
        "/{monitor_id}/detected-certificates",
        responses={200: {"model": DetectedCertificatePageBody}, **schemas.WITH_422},
        summary="Every certificate the monitor's site has presented, newest first",
        operation_id=f"list{name}DetectedCertificates",
    )
    def detected(
        request: Request,
        monitor_id: MonitorId,
        who: PrincipalDep,
        services: ServicesDep,
        _page: PageNumber = None,
        _size: PageSize = None,
    ) -> Response:
        page, size = page_request(request.query_params)
        result = services.certificates.detected(who, monitor_id, page, size)
        data = [detected_json(view) for view in result.items]
        return FastJSONResponse(paginated(data, request.url, page, size, result.total))

    @router.get(
        "/{monitor_id}/detected-certificates/{certificate_id}",
        responses={200: {"model": DetectedCertificateBody}, **schemas.WITH_422},
        summary="One detected certificate",
        operation_id=f"get{name}DetectedCertificate",
    )
    def detected_one(
        monitor_id: MonitorId, certificate_id: CertificateId, who: PrincipalDep, services: ServicesDep
    ) -> Response:
        return FastJSONResponse(
            detected_json(services.certificates.detected_one(who, monitor_id, certificate_id))
        )

    return router
