"""`/docs` (Swagger UI) and `/redoc`, served with assets from this installation, so both
work on a machine without internet (FastAPI's defaults load them from a CDN)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from lookout.api.ohdear.schemas import example_of

ASSETS = "/docs-assets"


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages; call with an app made with `docs_url=None, redoc_url=None`."""
    _give_every_request_an_example(app)
    static = Path(str(files("fastapi_offline") / "static"))
    app.mount(ASSETS, StaticFiles(directory=static), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title}: API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title}: API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def _give_every_request_an_example(app: FastAPI) -> None:
    """Every JSON request body in the document gets an example (made from its schema when
    the route gave none), so each operation can be tried from /docs as it stands."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for item in document.get("paths", {}).values():
            for operation in item.values():
                content = (
                    (operation.get("requestBody") or {}).get("content", {})
                    if isinstance(operation, dict)
                    else {}
                )
                body = content.get("application/json")
                if body is not None and "example" not in body:
                    example = example_of(_resolved(document, body.get("schema", {})))
                    body["example"] = {} if example is None else example
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _resolved(document: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """`schema` with its `#/components/...` references replaced (a few levels deep)."""
    if depth > 8:
        return {}
    if isinstance(schema, list):
        return [_resolved(document, item, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = document
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return _resolved(document, node, depth + 1)
    return {key: _resolved(document, value, depth + 1) for key, value in schema.items()}
