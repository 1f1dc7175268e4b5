"""Who is calling: the bearer token of a request, looked up once.

The Oh Dear gate authenticates every /api request from its headers and leaves the answer
in the ASGI scope under `PRINCIPAL`; the `bearer_principal` dependency reads it from there.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from lookout.errors import AuthenticationError
from lookout.services.tokens import Principal, TokenService

# The caller's Principal, or None when the request carries no valid token.
PRINCIPAL = "lookout.principal"


def authorization_header(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


def bearer_token(authorization: str | None) -> str | None:
    """The token of `Bearer <token>`: the scheme in any case, any whitespace around either."""
    parts = authorization.split(None, 1) if authorization else []
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1].strip() or None


async def authenticate(tokens: TokenService, authorization: str | None) -> Principal | None:
    token = bearer_token(authorization)
    if token is None:
        return None
    try:
        # The token lookup is a database query: off the event loop, like a sync dependency.
        return await run_in_threadpool(tokens.authenticate, token)
    except AuthenticationError:
        return None
