"""Authentication, JSON error bodies for every status, rate limit headers, /api/me."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from lookout.app import Store, build_services, create_app
from lookout.services.tokens import Principal, TokenService
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
    settings = Settings(
        database_url=str(store.engine.url),
        rate_limit_per_minute=3,
        run_engine=False,
        run_outbox=False,
        run_failover=False,
    )
    issued = build_services(store).tokens.create("limited@example.test", "limited-team")
    headers = {"Authorization": f"Bearer {issued.token}"}
    with TestClient(create_app(settings, store)) as limited:
        seen = [limited.get("/api/me", headers=headers) for _ in range(4)]
    assert [r.headers["x-ratelimit-limit"] for r in seen[:3]] == ["3", "3", "3"]
    assert [r.headers["x-ratelimit-remaining"] for r in seen[:3]] == ["2", "1", "0"]
    assert seen[3].status_code == 429
    assert seen[3].json()["message"] == "Too Many Attempts."
    assert int(seen[3].headers["retry-after"]) >= 1 and seen[3].headers["x-ratelimit-remaining"] == "0"


def limited(store: Store, **overrides: object) -> TestClient:
    settings = Settings.model_validate(
        {"database_url": str(store.engine.url), "run_engine": False, "rate_limit_per_minute": 3, **overrides}
    )
    return TestClient(create_app(settings, store))


def test_every_spelling_of_one_token_shares_its_budget(store: Store) -> None:
    token = build_services(store).tokens.create("spellings@example.test", "spellings-team").token
    spellings = [f"bearer {token}", f"BEARER {token}", f"Bearer  {token}", f"Bearer {token}"]
    with limited(store) as client:
        seen = [client.get("/api/me", headers={"Authorization": value}) for value in spellings]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in seen] == ["2", "1", "0", "0"]


def test_anonymous_and_failed_callers_share_a_budget_per_address(store: Store) -> None:
    token = build_services(store).tokens.create("beside@example.test", "beside-team").token
    wrong = [{}, {"Authorization": "Bearer wrong-1"}, {"Authorization": "Basic abc"}]
    with limited(store, rate_limit_unauthenticated_per_minute=2) as client:
        seen = [client.get("/api/me", headers=headers) for headers in wrong]
        assert [r.status_code for r in seen] == [401, 401, 429]
        assert [r.headers["x-ratelimit-limit"] for r in seen] == ["2", "2", "2"]
        assert [r.headers["x-ratelimit-remaining"] for r in seen] == ["1", "0", "0"]
        assert int(seen[2].headers["retry-after"]) >= 1
        assert int(seen[2].headers["x-ratelimit-reset"]) >= int(time.time())
        # A token from the same address is counted on its own budget.
        own = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 200
    assert (own.headers["x-ratelimit-limit"], own.headers["x-ratelimit-remaining"]) == ("3", "2")


def test_a_request_is_authenticated_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = build_services(store).tokens.create("once@example.test", "once-team")
    calls: list[str] = []
    original = TokenService.authenticate

    def counting(self: TokenService, secret: str) -> Principal:
        calls.append(secret)
        return original(self, secret)

    monkeypatch.setattr(TokenService, "authenticate", counting)
    headers = {"Authorization": f"Bearer {issued.token}"}
    with limited(store) as client:
        assert client.get("/api/me", headers=headers).status_code == 200
        payload = {"url": "https://once.example", "team_id": issued.team_id, "type": "http"}
        created = client.post("/api/monitors", headers=headers, json=payload)
    assert created.status_code == 201
    assert calls == [issued.token, issued.token]
