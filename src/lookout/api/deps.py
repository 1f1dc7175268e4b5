"""Request dependencies shared by the API routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lookout.errors import AuthenticationError
from lookout.services.container import Services
from lookout.services.tokens import Principal

_bearer = HTTPBearer(auto_error=False, description="An API token made with `lookout token create`.")


def services(request: Request) -> Services:
    container: Services = request.app.state.services
    return container


ServicesDep = Annotated[Services, Depends(services)]


def bearer_principal(
    request: Request,
    container: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise AuthenticationError("Unauthenticated.")
    principal = container.tokens.authenticate(credentials.credentials)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(bearer_principal)]
