"""Authentication, JSON error bodies for every status, rate limit headers, /api/me."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lookout.app import Store, build_services, create_app
from lookout.settings import Settings
from tests.api.ohdear.conftest import Caller


def test_missing_or_wrong_token_is_401_json(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/monitors", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated.", "error": "Unauthenticated."}


def test_a_revoked_token_stops_working(store: Store, client: TestClient) -> None:
    tokens = build_services(store).tokens
    issued = tokens.create("revoked@example.test", "revoked-team")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    tokens.revoke(issued.id)
    assert client.get("/api/me", headers=headers).status_code == 401


def test_unknown_route_and_wrong_method_are_json(alice: Caller) -> None:
    missing = alice.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    wrong = alice.client.patch("/api/monitors/1", headers=alice.headers)
    assert wrong.status_code == 405
    assert wrong.json()["message"] == (
        "The PATCH method is not supported for route api/monitors/1. Supported methods: GET, PUT, DELETE."
    )
    assert wrong.headers["allow"] == "GET, PUT, DELETE"


def test_me_answers_the_user_and_teams(alice: Caller) -> None:
    body = alice.get("/api/me").json()
    assert body["id"] == alice.user_id and body["email"].startswith("alice-")
    assert body["photo_url"].startswith("https://www.gravatar.com/avatar/")
    assert body["teams"] == [{"id": alice.team_id, "name": body["teams"][0]["name"], "role": "Owner"}]


def test_rate_limit_headers_and_429(store: Store) -> None:
    settings = Settings(database_url=str(store.engine.url), rate_limit_per_minute=3, run_engine=False)
    issued = build_services(store).tokens.create("limited@example.test", "limited-team")
    headers = {"Authorization": f"Bearer {issued.token}"}
    with TestClient(create_app(settings, store)) as limited:
        seen = [limited.get("/api/me", headers=headers) for _ in range(4)]
    assert [r.headers["x-ratelimit-limit"] for r in seen[:3]] == ["3", "3", "3"]
    assert [r.headers["x-ratelimit-remaining"] for r in seen[:3]] == ["2", "1", "0"]
    assert seen[3].status_code == 429
    assert seen[3].json()["message"] == "Too Many Attempts."
    assert int(seen[3].headers["retry-after"]) >= 1 and seen[3].headers["x-ratelimit-remaining"] == "0"
