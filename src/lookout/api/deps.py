"""Request dependencies shared by the API routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lookout.api import auth
from lookout.errors import AuthenticationError
from lookout.services.container import Services
from lookout.services.tokens import Principal

_bearer = HTTPBearer(auto_error=False, description="An API token made with `lookout token create`.")


async def services(request: Request) -> Services:
    container: Services = request.app.state.services
    return container


ServicesDep = Annotated[Services, Depends(services)]


async def bearer_principal(
    request: Request,
    container: ServicesDep,
    # Declares the Bearer scheme in the OpenAPI description; the token is read by `auth`.
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    scope = request.scope
    if auth.PRINCIPAL in scope:  # the gate in front of /api has looked already
        principal: Principal | None = scope[auth.PRINCIPAL]
    else:
        principal = await auth.authenticate(container.tokens, auth.authorization_header(scope))
    if principal is None:
        raise AuthenticationError("Unauthenticated.")
    return principal


PrincipalDep = Annotated[Principal, Depends(bearer_principal)]
