"""Every DNSPod action at `/<Action>` and `/dnspod/<Action>`, answered in DNSPod's envelope.

The routes read their own form (bounded), authenticate it themselves and answer HTTP 200
with the action's code whatever happens: no JSON 401 or 422 from the framework here, and a
bug becomes code 3, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from lookout.api.dnspod import domain, info, monitor, record
from lookout.api.dnspod.actions import Action, Call
from lookout.api.dnspod.auth import LoginGuard, principal_of
from lookout.api.dnspod.envelope import Reply, body, render
from lookout.api.dnspod.form import FormTooLarge, Params, read_form
from lookout.services.dns.container import DnsServices
from lookout.services.tokens import TokenService

log = logging.getLogger(__name__)

ACTIONS: Mapping[str, Action] = {**info.ACTIONS, **domain.ACTIONS, **record.ACTIONS, **monitor.ACTIONS}
PREFIX = "/dnspod"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def build_dnspod_router(tokens: TokenService, dns: DnsServices, location: str = "local") -> APIRouter:
    router = APIRouter()
    logins = LoginGuard()

    async def answer(request: Request, name: str) -> Response:
        action = ACTIONS.get(name)
        try:
            fields = await read_form(request)
        except FormTooLarge:
            fields = dict(request.query_params)
            params = Params(fields)
            return _render(Reply("3", message="Request too large"), {}, params)
        params = Params(fields)
        messages = action.messages if action else {}
        if request.method != "POST":
            return _render(Reply("2"), messages, params)
        if action is None:
            return _render(Reply("-7", message="No such API"), messages, params)
        address = request.client.host if request.client else "?"
        if logins.banned(address):
            return _render(Reply("-8"), messages, params)
        who = await principal_of(tokens, params)
        if who is None:
            logins.failed(address)
            return _render(Reply("-1"), messages, params)
        try:
            reply = await action(Call(params, who, dns, location))
        except Exception:
            log.exception("DNSPod action %s failed", name)
            reply = Reply("3")
        return _render(reply, messages, params)

    def route(name: str):  # type: ignore[no-untyped-def]
        async def endpoint(request: Request) -> Response:
            return await answer(request, name)

        return endpoint

    for name in ACTIONS:
        for path in (f"/{name}", f"{PREFIX}/{name}"):
            router.add_api_route(path, route(name), methods=_METHODS, include_in_schema=False)

    async def unknown(request: Request) -> Response:
        return await answer(request, "")

    router.add_api_route(PREFIX + "/{rest:path}", unknown, methods=_METHODS, include_in_schema=False)
    return router


def _render(reply: Reply, messages: Mapping[str, tuple[str, str]], params: Params) -> Response:
    fmt = "json" if params.get("format").strip().lower() == "json" else "xml"
    lang = "cn" if params.get("lang").strip().lower() == "cn" else "en"
    return render(body(reply, messages, lang, datetime.now(UTC)), fmt)
