"""The ping receiver: `GET|POST /ping/{uuid}[/starting|/finished|/failed]`.

No token: the task's uuid is the secret, and an unknown one is a 404. The optional
`memory` (bytes), `runtime` (seconds), `exit_code` and `failure_message` come from the
query string or a form or JSON body (at most 16 KiB). The answer is a plain `OK` once the
ping is stored; nothing else happens on this path (the sweep does the judging).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from lookout.api.ohdear.errors import error_response, validation_response
from lookout.api.ohdear.schemas import ErrorBody, ValidationErrorBody
from lookout.model.cron import Ping, PingKind
from lookout.services.pings import PingRecorder
from lookout.services.validation import INT64_MAX, int64_from_text

MAX_BODY = 16 * 1024
MAX_FAILURE_MESSAGE = 1024
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Free text keeps tabs and line breaks; other control characters (NUL breaks PostgreSQL) go.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KINDS = {
    "": PingKind.FINISHED,
    "finished": PingKind.FINISHED,
    "starting": PingKind.STARTING,
    "failed": PingKind.FAILED,
}
_OK = b"OK"


class PingInputError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid ping")
        self.errors = errors


async def receive(request: Request, uuid: str, kind: str) -> Response:
    """One ping: parsed, bounded, recorded; the answer."""
    ping_kind = _KINDS.get(kind)
    if ping_kind is None or not _UUID.fullmatch(uuid):
        return error_response(404, "Not Found")
    recorder: PingRecorder = request.app.state.services.pings
    at = recorder.clock()
    try:
        fields = await _fields(request)
        ping = parse_ping(ping_kind, at, fields)
    except PingInputError as exc:
        return validation_response(exc.errors)
    except _TooLargeError:
        return error_response(413, "Payload Too Large")
    if not await recorder.record(uuid.lower(), ping):
        return error_response(404, "Not Found")
    return PlainTextResponse(_OK)


class PingReceiver:
    """Answers /ping/... before the router sees it.

    The router tries the app's few hundred routes in order on every request, which cost
    more than the rest of a ping together; pings are the one path that must stay fast
    under load, so they are dispatched here by their path alone. The routes below remain
    for the OpenAPI description (and answer the same way if this is not installed).
    """

    def __init__(self, app: ASGIApp, prefix: str = "/ping/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive_: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive_, send)
            return
        parts = scope["path"][len(self.prefix) :].split("/")
        response: Response
        if len(parts) > 2:
            response = error_response(404, "Not Found")
        elif scope["method"] not in ("GET", "POST", "HEAD"):
            response = error_response(405, "Method Not Allowed", {"Allow": "GET, POST"})
        else:
            response = await receive(Request(scope, receive_), parts[0], parts[1] if len(parts) == 2 else "")
        await response(scope, receive_, send)


def build_ping_router() -> APIRouter:
    router = APIRouter(tags=["ping"])
    answers: dict[int | str, dict[str, Any]] = {
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Stored"},
        404: {"model": ErrorBody, "description": "No cron check has this uuid"},
        405: {"model": ErrorBody, "description": "Only GET and POST"},
        413: {"model": ErrorBody, "description": "Body over 16 KiB"},
        422: {"model": ValidationErrorBody, "description": "A field is not what it should be"},
    }
    common: dict[str, Any] = {"responses": answers}

    @router.get("/ping/{uuid}", summary="Ping: the job finished", operation_id="pingGet", **common)
    @router.post("/ping/{uuid}", summary="Ping: the job finished", operation_id="ping", **common)
    async def ping(request: Request, uuid: str) -> Response:
        return await receive(request, uuid, "")

    kind_summary = "Ping: the job is starting, finished or failed (kind)"

    @router.get("/ping/{uuid}/{kind}", summary=kind_summary, operation_id="pingKindGet", **common)
    @router.post("/ping/{uuid}/{kind}", summary=kind_summary, operation_id="pingKind", **common)
    async def ping_kind(request: Request, uuid: str, kind: str) -> Response:
        return await receive(request, uuid, kind)

    return router


class _TooLargeError(Exception):
    pass


async def _fields(request: Request) -> dict[str, Any]:
    fields: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return fields
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _TooLargeError
    if not body.strip():
        return fields
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or (not content_type and body.lstrip()[:1] == b"{"):
        try:
            decoded = orjson.loads(bytes(body))
        except orjson.JSONDecodeError:
            raise PingInputError({"body": ["The request body must be valid JSON."]}) from None
        if not isinstance(decoded, Mapping):
            raise PingInputError({"body": ["The request body must be a JSON object."]})
        fields.update(decoded)
    elif content_type in ("application/x-www-form-urlencoded", ""):
        try:
            text = bytes(body).decode()
        except UnicodeDecodeError:
            raise PingInputError({"body": ["The request body must be UTF-8."]}) from None
        fields.update(parse_qsl(text, keep_blank_values=True, max_num_fields=20))
    # Anything else (multipart, plain text) carries no fields we read.
    return fields


def parse_ping(kind: PingKind, at: Any, fields: Mapping[str, Any]) -> Ping:
    errors: dict[str, list[str]] = {}

    def integer(name: str, low: int, high: int) -> int | None:
        value = fields.get(name)
        if value is None or value == "":
            return None
        number: int | None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            number = int64_from_text(value)
        else:
            number = None
        if number is None or not low <= number <= high:
            errors[name] = [
                f"The {name.replace('_', ' ')} field must be an integer between {low} and {high}."
            ]
            return None
        return number

    memory = integer("memory", 0, INT64_MAX)
    exit_code = integer("exit_code", -(2**31), 2**31 - 1)
    runtime: float | None = None
    raw_runtime = fields.get("runtime")
    if raw_runtime is not None and raw_runtime != "":
        try:
            runtime = float(raw_runtime) if not isinstance(raw_runtime, bool) else None
        except (TypeError, ValueError):
            runtime = None
        if runtime is None or not math.isfinite(runtime) or not 0 <= runtime <= 1e9:
            errors["runtime"] = ["The runtime field must be a number of seconds."]
            runtime = None
    message = fields.get("failure_message")
    if message is not None and not isinstance(message, str):
        errors["failure_message"] = ["The failure message field must be a string."]
        message = None
    if errors:
        raise PingInputError(errors)
    if message is not None:
        message = _CONTROL.sub("", message)[:MAX_FAILURE_MESSAGE] or None
    return Ping(kind, at, memory, runtime, exit_code, message)
