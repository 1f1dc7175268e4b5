"""Destinations through the API, as a user would use them, with the engine and the outbox
running: a mail and a Slack-style (Mattermost, through Apprise) destination, test messages,
then a monitor taken down and brought back."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.notify.receivers import TcpTarget, serve_smtp, threaded_hooks


def eventually(probe: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_user_sets_up_mail_and_chat_and_is_told_once_of_down_and_up(tmp_path: Path) -> None:
    target = TcpTarget()
    target.up()
    with serve_smtp() as mailbox, threaded_hooks() as (hooks_url, inbox):
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'lookout.db'}",
            allow_private_targets=True,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_from="alerts@lookout.test",
            public_url="https://status.example.test",
        )
        store = open_store(settings)
        issued = build_services(store).tokens.create("user@example.test", "ops")
        headers = {"Authorization": f"Bearer {issued.token}"}
        with TestClient(create_app(settings, store), headers=headers) as client:
            team = issued.team_id
            mail = client.post(
                f"/api/team-notification-destinations/{team}",
                json={"channel": "mail", "destination": {"mail": "oncall@example.test"}, "label": "On call"},
            )
            assert mail.status_code == 201, mail.text
            assert mail.json() == {
                "id": mail.json()["id"],
                "label": "On call",
                "team_id": team,
                "channel": "mail",
                "destination": {"mail": "oncall@example.test"},
                "notification_types": [],
                "enabled": True,
                "disabled_reason": None,
            }
            chat = client.post(
                f"/api/team-notification-destinations/{team}",
                json={
                    "channel": "mattermost",
                    "destination": {"webhook_url": f"{hooks_url}/hooks/abc123"},
                    "notification_types": [
                        "UptimeCheckFailedNotification",
                        "UptimeCheckRecoveredNotification",
                    ],
                },
            )
            assert chat.status_code == 201, chat.text
            listed = client.get("/api/team-notification-destinations").json()["data"]
            assert [d["channel"] for d in listed] == ["mail", "mattermost"]

            for created in (mail.json(), chat.json()):
                sent = client.post(
                    f"/api/team-notification-destinations/{team}/destination/{created['id']}/test"
                )
                assert sent.status_code == 200, sent.text
            assert [m["Subject"] for m in mailbox.messages] == ["[Lookout] Test notification"]
            assert len(inbox) == 1 and "Test notification" in json.loads(inbox[0][2])["text"]

            monitor = client.post(
                "/api/monitors",
                json={
                    "url": f"127.0.0.1:{target.port}",
                    "type": "tcp",
                    "team_id": team,
                    "checks": ["uptime"],
                    "uptime_check_settings": {
                        "failed_notification_threshold": 1,
                        "check_interval_in_seconds": 3600,
                    },
                },
            ).json()
            uptime = next(c for c in monitor["checks"] if c["type"] == "uptime")
            check_path = f"/api/monitors/{monitor['id']}"

            def result_is(value: str) -> Callable[[], bool]:
                return lambda: client.get(check_path).json()["checks"][0]["latest_run_result"] == value

            eventually(result_is("succeeded"))
            target.down()
            client.post(f"/api/checks/{uptime['id']}/request-run")
            eventually(result_is("failed"))
            eventually(lambda: len(mailbox.messages) == 2 and len(inbox) == 2)
            target.up()
            client.post(f"/api/checks/{uptime['id']}/request-run")
            eventually(result_is("succeeded"))
            eventually(lambda: len(mailbox.messages) == 3 and len(inbox) == 3)
            time.sleep(1.5)  # two more outbox rounds: nothing else arrives
    target.down()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert subjects[1:] == [
        f"[Lookout] Uptime failed: 127.0.0.1:{target.port}",
        f"[Lookout] Uptime recovered: 127.0.0.1:{target.port}",
    ]
    body = mailbox.messages[1].get_body(("plain",))
    assert body is not None and f"https://status.example.test/monitors/{monitor['id']}" in body.get_content()
    assert [path for path, _, _ in inbox] == ["/hooks/abc123"] * 3
    texts = [json.loads(raw)["text"] for _, _, raw in inbox]
    assert "Uptime failed" in texts[1] and "Uptime recovered" in texts[2]
