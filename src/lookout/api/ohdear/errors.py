"""Every error the Oh Dear API gives is JSON: `{"message": ..., "error": ...}`.

Validation failures are 422 `{"message": "The given data was invalid.", "errors": {...}}`
as Laravel answers; a path parameter that cannot be an id is a 404, as route model
binding would have it. Nothing leaks a stack trace.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from lookout.api.ohdear.responses import FastJSONResponse
from lookout.errors import AuthenticationError, NotFoundError, ValidationFailed
from lookout.services import validation

log = logging.getLogger(__name__)

INVALID = "The given data was invalid."
# FastAPI's detail when it cannot decode a body (json.loads raised something but a
# JSONDecodeError, which it reports as a validation error instead).
UNPARSABLE_BODY = "There was an error parsing the body"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> FastJSONResponse:
    return FastJSONResponse({"message": message, "error": message}, status_code=status, headers=headers)


def validation_response(errors: dict[str, list[str]]) -> FastJSONResponse:
    return FastJSONResponse({"message": INVALID, "error": INVALID, "errors": errors}, status_code=422)


async def _validation_failed(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    return validation_response(exc.errors)


async def _not_found(_: Request, exc: Exception) -> Response:
    return error_response(404, "Not Found")


def unauthenticated_response() -> FastJSONResponse:
    return error_response(401, "Unauthenticated.", {"WWW-Authenticate": "Bearer"})


async def _unauthenticated(_: Request, exc: Exception) -> Response:
    return unauthenticated_response()


async def _request_invalid(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        return error_response(404, "Not Found")
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part not in ("body", "query")]
        path = ".".join(map(str, loc)) or "body"
        if error.get("type") == "json_invalid":
            errors.setdefault("body", []).append("The request body must be valid JSON.")
        else:
            errors.setdefault(path, []).append(validation.message_for(error, path))
    return validation_response(errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        # Bytes that are not UTF-8 are invalid JSON too; Laravel answers those with a 422.
        return validation_response({"body": ["The request body must be valid JSON."]})
    if exc.status_code == 405:
        allowed = ", ".join(_allowed_methods(request))
        message = (
            f"The {request.method} method is not supported for route "
            f"{request.url.path.lstrip('/')}. Supported methods: {allowed}."
        )
        return error_response(405, message, {"Allow": allowed})
    message = "Not Found" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, message, dict(exc.headers or {}))


def _allowed_methods(request: Request) -> list[str]:
    # Starlette reports only the first route that matched the path; ask every route.
    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "Server Error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ValidationFailed, _validation_failed)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(AuthenticationError, _unauthenticated)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
