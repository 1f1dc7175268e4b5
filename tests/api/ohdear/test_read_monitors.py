"""GET /api/monitors (pagination, filters), by id, by url; teams are walls."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.ohdear.conftest import Caller, Cast


def make(caller: Caller, url: str, kind: str = "http") -> dict:
    response = caller.post("/api/monitors", json={"url": url, "team_id": caller.team_id, "type": kind})
    assert response.status_code == 201, response.text
    return response.json()


def test_list_is_paginated_like_laravel(alice: Caller) -> None:
    created = [make(alice, f"https://page{i}.example") for i in range(5)]

    first = alice.get("/api/monitors", params={"page[size]": 2}).json()
    assert [m["id"] for m in first["data"]] == [m["id"] for m in created[:2]]
    meta = first["meta"]
    assert (meta["current_page"], meta["last_page"], meta["per_page"], meta["total"]) == (1, 3, 2, 5)
    assert (meta["from"], meta["to"]) == (1, 2)
    assert meta["path"].endswith("/api/monitors")
    assert first["links"]["prev"] is None
    assert "page%5Bnumber%5D=2" in first["links"]["next"]
    assert meta["links"][0]["label"] == "&laquo; Previous" and meta["links"][-1]["label"] == "Next &raquo;"
    assert [link["active"] for link in meta["links"][1:-1]] == [True, False, False]

    by_number = alice.get("/api/monitors", params={"page[size]": 2, "page[number]": 3}).json()
    by_page = alice.get("/api/monitors", params={"page[size]": 2, "page": 3}).json()
    assert [m["id"] for m in by_number["data"]] == [created[4]["id"]]
    assert by_page["data"] == by_number["data"]
    assert by_number["links"]["next"] is None and by_number["meta"]["to"] == 5


def test_default_page_size_is_200_and_capped(alice: Caller) -> None:
    assert alice.get("/api/monitors").json()["meta"]["per_page"] == 200
    assert alice.get("/api/monitors", params={"page[size]": 100000}).json()["meta"]["per_page"] == 1000
    assert (
        alice.get("/api/monitors", params={"page[size]": "x", "page": "-3"}).json()["meta"]["current_page"]
        == 1
    )


def test_an_empty_page_has_null_bounds(cast: Cast) -> None:
    body = cast.eve.get("/api/monitors").json()
    assert body["data"] == []
    assert (body["meta"]["from"], body["meta"]["to"], body["meta"]["total"]) == (None, None, 0)


def test_team_filter_and_walls(cast: Cast) -> None:
    mine = make(cast.alice, "https://walls.example")
    theirs = make(cast.eve, "https://eve-only.example")

    assert [m["id"] for m in cast.bob.get("/api/monitors").json()["data"]] == [mine["id"]]
    filtered = cast.alice.get("/api/monitors", params={"filter[team_id]": cast.alice.team_id}).json()
    assert [m["id"] for m in filtered["data"]] == [mine["id"]]
    foreign = cast.alice.get("/api/monitors", params={"filter[team_id]": cast.eve.team_id}).json()
    assert foreign["data"] == []
    for path in (f"/api/monitors/{theirs['id']}", f"/api/monitors/url/{quote(theirs['url'], safe='')}"):
        response = cast.alice.get(path)
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found", "error": "Not Found"}
    assert cast.alice.put(f"/api/monitors/{theirs['id']}", json={"notes": "x"}).status_code == 404
    assert cast.alice.delete(f"/api/monitors/{theirs['id']}").status_code == 404
    assert cast.eve.get(f"/api/monitors/{theirs['id']}").status_code == 200


def test_get_by_id_equals_the_created_object(alice: Caller) -> None:
    created = make(alice, "tcp.example:5432", "tcp")
    assert alice.get(f"/api/monitors/{created['id']}").json() == created


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda url: quote(url, safe=""), id="php-urlencode"),
        pytest.param(lambda url: url, id="raw"),
        pytest.param(lambda url: quote(url + "/", safe=""), id="trailing-slash"),
    ],
)
def test_get_by_url(alice: Caller, encode) -> None:  # type: ignore[no-untyped-def]
    created = make(alice, f"https://byurl-{id(encode)}.example/path?q=1")
    response = alice.get(f"/api/monitors/url/{encode(created['url'])}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]


def test_unknown_and_malformed_ids_are_404(alice: Caller) -> None:
    assert alice.get("/api/monitors/999999999").status_code == 404
    assert alice.get("/api/monitors/abc").status_code == 404
    assert alice.get("/api/monitors/url/" + quote("https://never.example", safe="")).status_code == 404


def test_sites_paths_answer_as_their_monitor_twins(alice: Caller) -> None:
    created = make(alice, "https://legacy.example")
    assert alice.get(f"/api/sites/{created['id']}").json() == created
    listed = alice.get("/api/sites").json()
    assert [m["id"] for m in listed["data"]] == [m["id"] for m in alice.get("/api/monitors").json()["data"]]
    old_client = alice.post(
        "/api/sites", json={"url": "https://old-client.example", "team_id": alice.team_id}
    )
    assert old_client.status_code == 201 and old_client.json()["type"] == "http"
    assert alice.delete(f"/api/sites/{created['id']}").status_code == 204
    assert alice.get(f"/api/monitors/{created['id']}").status_code == 404


def test_check_summary(alice: Caller) -> None:
    created = make(alice, "https://summary.example")
    uptime = alice.get(f"/api/monitors/{created['id']}/check-summary/uptime")
    assert uptime.json() == {"result": "pending", "summary": "Pending"}
    disabled = alice.get(f"/api/monitors/{created['id']}/check-summary/lighthouse")
    assert disabled.json() == {"result": None, "summary": "Disabled"}
    assert alice.get(f"/api/monitors/{created['id']}/check-summary/ai").status_code == 404
    assert alice.get(f"/api/monitors/{created['id']}/check-summary/bogus").status_code == 404
