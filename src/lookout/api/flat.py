"""Routers included as copies of their routes, so a request is routed through one flat list.

FastAPI (0.16x) keeps an included router as a lazy branch: every request walks each branch's
routes to find its own, twice (to match, then to handle), and checks a version that walks the
whole tree again. Lookout's API is three levels deep (app, /api, a resource), and that walk was
a fifth of the CPU of a GET /api/me. Copying each route into the parent, as `include_router`
did in older FastAPI, makes routing one regular expression per route tried.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute


def include_flat(parent: APIRouter, child: APIRouter) -> None:
    """`parent.include_router(child)` for a child of plain API routes (paths already carry the
    child's prefix; the parent adds its own prefix, tags and defaults when it copies them)."""
    for route in child.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"include_flat copies API routes only, not {route!r}")
        parent.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
        )
