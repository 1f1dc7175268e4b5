"""Request bodies: a size limit, and no body read for a caller who has not authenticated.

These talk ASGI through httpx's transport, which pulls the request body from the test's
generator only when the app asks for it, so a test can count what the app read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from lookout.app import Store, build_services, create_app
from lookout.settings import Settings

CHUNK = 64 * 1024
TWENTY_MB = 20 * 1024 * 1024
TOO_LARGE = {"message": "The request body is too large.", "error": "The request body is too large."}


class Body:
    """A request body sent chunk by chunk (`data`, or `size` bytes of filler); `pulled` counts
    the chunks the app asked for."""

    def __init__(self, size: int = 0, data: bytes | None = None, chunk: int = CHUNK) -> None:
        self.size = len(data) if data is not None else size
        self.data = data
        self.chunk = chunk
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        filler = b"x" * self.chunk
        for start in range(0, self.size, self.chunk):
            self.pulled += 1
            end = min(start + self.chunk, self.size)
            yield self.data[start:end] if self.data is not None else filler[: end - start]


def app_for(store: Store, max_body_bytes: int = 1024 * 1024) -> FastAPI:
    settings = Settings(
        database_url=str(store.engine.url),
        run_engine=False,
        run_outbox=False,
        run_failover=False,
        rate_limit_per_minute=100_000,
        max_body_bytes=max_body_bytes,
    )
    return create_app(settings, store)


async def post(app: FastAPI, path: str, body: Body | bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lookout.test") as client:
        return await client.post(path, content=body, headers={"Content-Type": "application/json", **headers})


@pytest.fixture
def bearer(store: Store) -> tuple[dict[str, str], int]:
    issued = build_services(store).tokens.create("bodies@example.test", "bodies-team")
    return {"Authorization": f"Bearer {issued.token}"}, issued.team_id


async def test_a_declared_length_over_the_limit_is_413_unread(
    store: Store, bearer: tuple[dict[str, str], int]
) -> None:
    body = Body(TWENTY_MB)
    headers = {**bearer[0], "Content-Length": str(TWENTY_MB)}
    response = await post(app_for(store), "/api/monitors", body, headers)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["connection"] == "close"
    assert "x-ratelimit-remaining" in response.headers
    assert body.pulled == 0


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(
    store: Store, bearer: tuple[dict[str, str], int]
) -> None:
    body = Body(TWENTY_MB)
    response = await post(app_for(store), "/api/monitors", body, bearer[0])
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["connection"] == "close"
    assert body.pulled <= 1024 * 1024 // CHUNK + 1


async def test_a_chunked_body_within_the_limit_is_read_whole(
    store: Store, bearer: tuple[dict[str, str], int]
) -> None:
    payload = orjson.dumps({"url": "https://chunked.example", "team_id": bearer[1], "type": "http"})
    body = Body(data=payload, chunk=10)
    response = await post(app_for(store, max_body_bytes=len(payload)), "/api/monitors", body, bearer[0])
    assert response.status_code == 201, response.text
    assert body.pulled == -(-len(payload) // 10)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
async def test_an_anonymous_post_is_401_before_its_body_is_read(
    store: Store, authorization: str | None
) -> None:
    body = Body(TWENTY_MB)
    headers = {"Authorization": authorization} if authorization else {}
    response = await post(app_for(store), "/api/monitors", body, headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated.", "error": "Unauthenticated."}
    assert body.pulled == 0


async def test_an_anonymous_body_over_the_limit_is_401_not_413(store: Store) -> None:
    body = Body(TWENTY_MB)
    headers = {"Authorization": "Bearer not-a-token", "Content-Length": str(TWENTY_MB)}
    response = await post(app_for(store), "/api/monitors", body, headers)
    assert response.status_code == 401
    assert body.pulled == 0
