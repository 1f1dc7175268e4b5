"""`GET /api/me`: the token's user and their teams."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter
from starlette.responses import Response

from lookout.api.deps import PrincipalDep
from lookout.api.ohdear import schemas
from lookout.api.ohdear.responses import FastJSONResponse

router = APIRouter(tags=["me"])


@router.get("/me", responses={200: {"model": schemas.MeBody}, **schemas.ERRORS}, summary="User info")
def me(who: PrincipalDep) -> Response:
    digest = hashlib.md5(who.email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return FastJSONResponse(
        {
            "id": who.user_id,
            "name": who.name,
            "email": who.email,
            "photo_url": f"https://www.gravatar.com/avatar/{digest}.jpg?s=100&d=mm",
            "teams": [{"id": t.id, "name": t.name, "role": t.role} for t in who.teams],
        }
    )
