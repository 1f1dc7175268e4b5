"""Tags and tag groups through the Oh Dear API (A17), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

# The API suite's fixtures (an app on SQLite and PostgreSQL, a cast of callers) are imported
# from its conftest; tests name them as parameters, which ruff reads as redefinitions.
# ruff: noqa: F811
from tests.api.ohdear.conftest import Caller, Cast, alice, cast, client, store  # noqa: F401
from tests.api.ohdear.test_check_actions import make

INVALID = "The given data was invalid."


def assert_invalid(response: object, errors: dict) -> None:
    """A 422 in Laravel's shape (an `error` twin of `message` is there for older clients)."""
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["message"], body["errors"]) == (INVALID, errors)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_tags_made_by_monitors_are_listed_with_their_sites(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    monitor = make(alice, f"https://{unique('tagged')}.example")
    assert alice.put(f"/api/monitors/{monitor['id']}", json={"tags": ["prod", "eu west"]}).status_code == 200

    listed = alice.get("/api/tags")
    assert listed.status_code == 200, listed.text
    by_name = {tag["name"]: tag for tag in listed.json()["data"]}
    assert set(by_name) == {"prod", "eu west"}
    tag = by_name["eu west"]
    assert set(tag) == {"id", "team_id", "team_name", "name", "slug", "sites", "created_at", "updated_at"}
    assert tag["slug"] == "eu-west"
    assert tag["team_id"] == alice.team_id
    assert [site["id"] for site in tag["sites"]] == [monitor["id"]]
    assert len(tag["created_at"]) == 19

    # Another team sees none of them; bob, in alice's team, sees them all.
    assert eve.get("/api/tags").json() == {"data": []}
    assert {t["name"] for t in cast.bob.get("/api/tags").json()["data"]} == {"prod", "eu west"}


def test_create_tag(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    created = alice.post("/api/tags", json={"name": "billing", "team_id": alice.team_id})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "billing"
    assert created.json()["sites"] == []
    # One team: team_id may be left out.
    assert alice.post("/api/tags", json={"name": "payments"}).status_code == 201

    duplicate = alice.post("/api/tags", json={"name": "billing"})
    assert_invalid(duplicate, {"name": ["The name has already been taken."]})

    foreign = eve.post("/api/tags", json={"name": "x", "team_id": alice.team_id})
    assert foreign.status_code == 422
    assert foreign.json()["errors"] == {"team_id": ["You do not belong to that team."]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["The name field is required."]}),
        ({"name": 5}, {"name": ["The name field must be a string."]}),
        ({"name": "x" * 256}, {"name": ["The name field must not be greater than 255 characters."]}),
        ({"name": "a\x00b"}, {"name": ["The name field must not contain control characters."]}),
        ({"name": "ok", "team_id": "nope"}, {"team_id": ["The team id field must be an integer."]}),
        ([1, 2], {"body": ["The request body must be a JSON object."]}),
    ],
)
def test_tag_validation(alice: Caller, body: object, errors: dict) -> None:
    response = alice.post("/api/tags", json=body)
    assert_invalid(response, errors)


def test_tag_group_lifecycle(cast: Cast) -> None:
    alice = cast.alice
    monitor = make(alice, f"https://{unique('grouped')}.example")
    alice.put(f"/api/monitors/{monitor['id']}", json={"tags": ["web"]})
    web_id = next(t["id"] for t in alice.get("/api/tags").json()["data"] if t["name"] == "web")

    created = alice.post("/api/tag-groups", json={"label": "Frontends", "tags": [web_id, "cdn"]})
    assert created.status_code == 201, created.text
    group = created.json()
    assert set(group) == {"id", "team_id", "team_name", "label", "tags", "created_at", "updated_at"}
    assert group["label"] == "Frontends"
    assert [t["name"] for t in group["tags"]] == ["cdn", "web"]  # "cdn" was made on the fly
    assert [s["id"] for s in group["tags"][1]["sites"]] == [monitor["id"]]

    assert alice.get(f"/api/tag-groups/{group['id']}").json() == group
    assert [g["id"] for g in alice.get("/api/tag-groups").json()["data"]] == [group["id"]]

    renamed = alice.put(f"/api/tag-groups/{group['id']}", json={"label": "Edges", "tags": ["cdn"]})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["label"] == "Edges"
    assert [t["name"] for t in renamed.json()["tags"]] == ["cdn"]
    # Only the label: the tags stay.
    assert [
        t["name"] for t in alice.put(f"/api/tag-groups/{group['id']}", json={"label": "E"}).json()["tags"]
    ] == ["cdn"]

    assert alice.delete(f"/api/tag-groups/{group['id']}").status_code == 204
    assert alice.get(f"/api/tag-groups/{group['id']}").status_code == 404
    assert "cdn" in {t["name"] for t in alice.get("/api/tags").json()["data"]}  # tags outlive groups


def test_tag_groups_of_another_team_are_not_found(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    group = alice.post("/api/tag-groups", json={"label": "Mine"}).json()
    for response in (
        eve.get(f"/api/tag-groups/{group['id']}"),
        eve.put(f"/api/tag-groups/{group['id']}", json={"label": "Stolen"}),
        eve.delete(f"/api/tag-groups/{group['id']}"),
    ):
        assert response.status_code == 404, response.text
        assert "message" in response.json()
    assert eve.get("/api/tag-groups").json() == {"data": []}
    assert alice.get(f"/api/tag-groups/{group['id']}").json()["label"] == "Mine"

    # Nor can eve put alice's tags in her own group.
    alice_tag = alice.post("/api/tags", json={"name": unique("secret")}).json()
    stolen = eve.post("/api/tag-groups", json={"label": "Mine too", "tags": [alice_tag["id"]]})
    assert stolen.status_code == 422
    assert stolen.json()["errors"] == {"tags": ["The selected tags are invalid."]}
    assert eve.get(f"/api/tag-groups/{2**31}").status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"label": ["The label field is required."]}),
        ({"label": "x", "tags": "web"}, {"tags": ["The tags field must be an array."]}),
        ({"label": "x", "tags": [None]}, {"tags.0": ["The tags.0 field must be a string."]}),
        (
            {"label": "x", "tags": ["ok", "bad\n"]},
            {"tags.1": ["The tags.1 field must not contain control characters."]},
        ),
        (
            {"label": "x", "tags": ["t"] * 101},
            {"tags": ["The tags field must not have more than 100 items."]},
        ),
    ],
)
def test_tag_group_validation(alice: Caller, body: dict, errors: dict) -> None:
    response = alice.post("/api/tag-groups", json=body)
    assert_invalid(response, errors)
