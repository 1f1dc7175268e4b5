"""What every /api request passes before the app sees it, decided from its headers alone.

1. Who is calling: the token is looked up here, once; the routes' `bearer_principal`
   reads the answer from the scope.
2. Their budget (`ratelimit`): per token, or per client address without a valid token,
   so guessing tokens is limited too. Every answer carries the budget's headers.
3. 401 for a caller without a valid token. Every route under /api needs one, so this
   need not wait for the route (an anonymous caller gets 401 for an unknown path too),
   and it must not: FastAPI reads and parses a route's body before it solves the route's
   dependencies, so a 401 from the dependency came only after the whole body was in memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lookout.api.auth import PRINCIPAL, authenticate, authorization_header
from lookout.api.ohdear.errors import unauthenticated_response
from lookout.api.ohdear.ratelimit import RateLimiter
from lookout.services.tokens import TokenService


class ApiGate:
    def __init__(
        self, app: ASGIApp, tokens: TokenService, limiter: RateLimiter, prefix: str = "/api"
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.limiter = limiter
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        principal = await authenticate(self.tokens, authorization_header(scope))
        scope[PRINCIPAL] = principal
        window = await self.limiter.hit(principal.token_id if principal else None, scope.get("client"))
        budget = window.headers()

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *budget]
            await send(message)

        if window.exceeded:
            refused = window.too_many()
        elif principal is None:
            refused = unauthenticated_response()
        else:
            await self.app(scope, receive, send_with_budget)
            return
        # The body, if any, is left unread: closing spares the server reading it through.
        refused.headers["Connection"] = "close"
        await refused(scope, receive, send_with_budget)
