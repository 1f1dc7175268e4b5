"""PUT /api/monitors/{id} (partial, deep), DELETE, and the broken links whitelist."""

from __future__ import annotations

from tests.api.ohdear.conftest import Caller


def make(caller: Caller, **body: object) -> dict:
    response = caller.post("/api/monitors", json={"team_id": caller.team_id, "type": "http", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_only_the_sent_keys_change(alice: Caller) -> None:
    created = make(
        alice,
        url="https://partial.example",
        friendly_name="Before",
        tags=["a"],
        uptime_check_settings={"timeout": 9, "look_for_string": "Welcome"},
    )
    response = alice.put(
        f"/api/monitors/{created['id']}",
        json={"uptime_check_settings": {"payload": [{"name": "n", "value": "v"}]}},
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    uptime = updated["uptime_check_settings"]
    assert uptime["payload"] == [{"name": "n", "value": "v"}]
    assert uptime["timeout"] == 9 and uptime["look_for_string"] == "Welcome"
    assert updated["label"] == "Before" and updated["tags"] == ["a"]
    assert (
        updated["application_health_check_settings"]["secret"]
        == created["application_health_check_settings"]["secret"]
    )
    unchanged = {
        k: v for k, v in created.items() if k not in ("uptime_check_settings", "checks", "updated_at")
    }
    assert {k: updated[k] for k in unchanged} == unchanged


def test_update_of_the_seed_example(alice: Caller) -> None:
    created = make(alice, url="https://links.example")
    body = {
        "broken_links_check_settings": {
            "check_include_external_links": True,
            "whitelisted_urls": ["https://externalsite.tld/page1", "https://externalsite.tld/page2"],
            "do_not_crawl_urls": ["https://ignored.example"],
        }
    }
    updated = alice.put(f"/api/monitors/{created['id']}", json=body).json()
    links = updated["broken_links_check_settings"]
    assert links["check_include_external_links"] is True
    assert links["whitelisted_urls"] == body["broken_links_check_settings"]["whitelisted_urls"]
    assert links["do_not_crawl_urls"] == []  # returned, not accepted
    assert links["types"] == ["link", "image", "script", "stylesheet", "og:image"]


def test_fields_tags_url_and_checks_can_change(alice: Caller) -> None:
    created = make(alice, url="https://old.example", tags=["x", "y"])
    updated = alice.put(
        f"/api/monitors/{created['id']}",
        json={"url": "https://new.example", "friendly_name": None, "group_name": "G", "tags": ["z"],
              "notes": "n", "description": "d", "checks": ["uptime", "dns"]},
    ).json()  # fmt: skip
    assert updated["url"] == "https://new.example" and updated["sort_url"] == "new.example"
    assert updated["label"] == "new.example" and updated["group_name"] == "G"
    assert updated["tags"] == ["z"] and (updated["notes"], updated["description"]) == ("n", "d")
    assert {c["type"] for c in updated["checks"] if c["enabled"]} == {"uptime", "dns"}


def test_team_and_type_are_prohibited(alice: Caller) -> None:
    created = make(alice, url="https://fixed.example")
    response = alice.put(f"/api/monitors/{created['id']}", json={"team_id": alice.team_id, "type": "ping"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "team_id": ["The team id field is prohibited."],
        "type": ["The type field is prohibited."],
    }


def test_an_invalid_update_changes_nothing(alice: Caller) -> None:
    created = make(alice, url="https://atomic.example")
    response = alice.put(
        f"/api/monitors/{created['id']}",
        json={"friendly_name": "New", "url": "nope", "uptime_check_settings": {"timeout": -1}},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"url", "uptime_check_settings.timeout"}
    assert alice.get(f"/api/monitors/{created['id']}").json() == created


def test_ping_settings_are_validated_by_the_ping_shape(alice: Caller) -> None:
    created = make(alice, url="10.0.0.1", type="ping")
    bad = alice.put(f"/api/monitors/{created['id']}", json={"uptime_check_settings": {"count": 0}})
    assert bad.json()["errors"] == {
        "uptime_check_settings.count": ["The uptime check settings.count field must be at least 1."]
    }
    good = alice.put(f"/api/monitors/{created['id']}", json={"uptime_check_settings": {"ttl": 32}})
    assert good.json()["uptime_check_settings"]["ttl"] == 32


def test_delete_removes_the_monitor_and_its_checks(alice: Caller) -> None:
    created = make(alice, url="https://gone.example")
    response = alice.delete(f"/api/monitors/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert alice.get(f"/api/monitors/{created['id']}").status_code == 404
    assert alice.delete(f"/api/monitors/{created['id']}").status_code == 404


def test_add_to_broken_links_whitelist(alice: Caller) -> None:
    created = make(alice, url="https://wl.example")
    path = f"/api/monitors/{created['id']}/add-to-broken-links-whitelist"
    for _ in range(2):
        response = alice.post(path, json={"whitelistUrl": "https://externalsite.tld/page1"})
        assert response.status_code == 200 and response.json() == {}
    whitelisted = alice.get(f"/api/monitors/{created['id']}").json()["broken_links_check_settings"][
        "whitelisted_urls"
    ]
    assert whitelisted == ["https://externalsite.tld/page1"]
    missing = alice.post(path, json={})
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"whitelistUrl": ["The whitelist url field is required."]}
