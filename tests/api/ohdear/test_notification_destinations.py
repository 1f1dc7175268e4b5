"""Notification destinations (A19): levels, shapes, validation, and teams as walls."""

from __future__ import annotations

from tests.api.ohdear.conftest import Caller, Cast


def make_monitor(
    caller: Caller, url: str = "https://notify.example.test", tags: list[str] | None = None
) -> int:
    created = caller.post(
        "/api/monitors", json={"url": url, "type": "http", "team_id": caller.team_id, "tags": tags or []}
    )
    assert created.status_code == 201, created.text
    monitor_id: int = created.json()["id"]
    return monitor_id


def test_team_level_crud_and_the_webhook_secret_shown_once(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    base = f"/api/team-notification-destinations/{alice.team_id}"
    created = alice.post(
        base, json={"channel": "webhook", "destination": {"url": "https://hooks.example.test/x"}}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["secret"]
    assert len(secret) == 48 and body["destination"] == {
        "url": "https://hooks.example.test/x",
        "secret": secret,
    }
    listed = alice.get("/api/team-notification-destinations").json()["data"]
    assert [d["destination"] for d in listed if d["id"] == body["id"]] == [
        {"url": "https://hooks.example.test/x"}
    ]

    given = alice.post(
        base,
        json={
            "channel": "webhook",
            "destination": {"url": "https://hooks.example.test/y", "secret": "my-own-secret"},
        },
    ).json()
    assert given["secret"] == "my-own-secret"

    item = f"{base}/destination/{body['id']}"
    updated = alice.put(
        item,
        json={
            "enabled": False,
            "disabled_reason": "holiday",
            "notification_types": ["CertificateExpiresSoonNotification"],
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["enabled"] is False and updated.json()["disabled_reason"] == "holiday"
    assert updated.json()["notification_types"] == ["CertificateExpiresSoonNotification"]
    assert "secret" not in updated.json()

    # Teams are walls: eve sees nothing and touches nothing.
    assert eve.get("/api/team-notification-destinations").json()["data"] == []
    assert eve.put(item, json={"label": "x"}).status_code == 404
    assert eve.delete(item).status_code == 404
    assert eve.post(f"{item}/test").status_code == 404
    assert (
        eve.post(base, json={"channel": "mail", "destination": {"mail": "e@example.test"}}).status_code == 404
    )

    assert alice.delete(item).status_code == 204
    assert alice.delete(item).status_code == 404


def test_monitor_and_tag_levels(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    monitor_id = make_monitor(alice, tags=["production"])
    path = f"/api/monitors/{monitor_id}/notification-destinations"
    created = alice.post(path, json={"channel": "mail", "destination": {"mail": "ops@example.test"}})
    assert created.status_code == 201, created.text
    assert "team_id" not in created.json()
    assert [d["id"] for d in alice.get(path).json()["data"]] == [created.json()["id"]]
    assert alice.get("/api/team-notification-destinations").json()["data"] == []
    assert eve.get(path).status_code == 404
    assert (
        eve.post(path, json={"channel": "mail", "destination": {"mail": "e@example.test"}}).status_code == 404
    )
    # A monitor-level destination is not found at another monitor.
    other = make_monitor(alice, "https://other.example.test")
    assert (
        alice.delete(f"/api/monitors/{other}/notification-destinations/{created.json()['id']}").status_code
        == 404
    )

    tags = alice.get("/api/tags").json()["data"]
    tag_id = next(t["id"] for t in tags if t["name"] == "production")
    tagged = alice.post(
        f"/api/tags/{tag_id}/notification-destinations",
        json={
            "channel": "slack",
            "destination": {"webhook_url": "https://hooks.slack.com/services/T0/B0/XYZ"},
        },
    )
    assert tagged.status_code == 201, tagged.text
    assert tagged.json()["tag"] == {"id": tag_id, "name": "production"}
    assert [d["id"] for d in alice.get("/api/tags/notification-destinations").json()["data"]] == [
        tagged.json()["id"]
    ]
    gone = alice.delete(f"/api/tags/{tag_id}/notification-destinations/destination/{tagged.json()['id']}")
    assert gone.status_code == 204


def test_tag_group_level(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    make_monitor(alice, tags=["db"])
    group = alice.post(
        "/api/tag-groups", json={"label": "Databases", "team_id": alice.team_id, "tags": ["db"]}
    )
    assert group.status_code == 201, group.text
    path = f"/api/tag-groups/{group.json()['id']}/notification-destinations"
    created = alice.post(path, json={"channel": "ntfy", "destination": {"topic": "db-alerts"}})
    assert created.status_code == 201, created.text
    assert created.json()["tagGroup"] == {"id": group.json()["id"], "label": "Databases"}
    assert [d["id"] for d in alice.get(path).json()["data"]] == [created.json()["id"]]
    assert eve.get(path).status_code == 404


def test_validation_in_oh_dears_shape(cast: Cast) -> None:
    alice = cast.alice
    base = f"/api/team-notification-destinations/{alice.team_id}"
    cases = [
        ({}, {"channel", "destination"}),
        ({"channel": "carrier-pigeon", "destination": {}}, {"channel"}),
        ({"channel": "mail", "destination": "a@b"}, {"destination"}),
        ({"channel": "mail", "destination": {"mail": "not an address"}}, {"destination.mail"}),
        ({"channel": "mail", "destination": {"mail": "a@b.test\r\nBcc: x@y.test"}}, {"destination.mail"}),
        ({"channel": "webhook", "destination": {"url": "ftp://x.test/"}}, {"destination.url"}),
        (
            {"channel": "webhook", "destination": {"url": "http://169.254.169.254/latest"}},
            {"destination.url"},
        ),
        ({"channel": "webhook", "destination": {"url": "http://127.0.0.1:9/"}}, {"destination.url"}),
        (
            {"channel": "webhook", "destination": {"url": "https://h.test/", "secret": "short"}},
            {"destination.secret"},
        ),
        ({"channel": "apprise", "destination": {"url": "json://127.0.0.1:9/"}}, {"destination.url"}),
        ({"channel": "apprise", "destination": {"url": "windows://"}}, {"destination.url"}),
        ({"channel": "apprise", "destination": {"url": "nonsense://x"}}, {"destination.url"}),
        ({"channel": "telegram", "destination": {"bot_token": "123:abc"}}, {"destination.chat_id"}),
        (
            {"channel": "mail", "destination": {"mail": "a@b.test"}, "notification_types": ["Nope"]},
            {"notification_types.0"},
        ),
        ({"channel": "mail", "destination": {"mail": "a@b.test"}, "label": "x" * 300}, {"label"}),
        ({"channel": "mail", "destination": {"mail": "a@b.test"}, "label": "a\x00b"}, {"label"}),
    ]
    for payload, fields in cases:
        answer = alice.post(base, json=payload)
        assert answer.status_code == 422, (payload, answer.text)
        assert answer.json()["message"] == "The given data was invalid."
        assert set(answer.json()["errors"]) == fields, (payload, answer.json())
    assert alice.post(base, json=[1, 2]).status_code == 422
    assert alice.get("/api/team-notification-destinations").json()["data"] == []
