"""A `lookout serve` killed after the state change and before the webhook was delivered
delivers it once it is started again: real processes, a loopback webhook receiver that
verifies Oh Dear signatures and hangs on the first attempt (the process is SIGKILLed while
it waits), SQLite underneath."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_serve_restart import free_port, issue_token, start, stop

pytestmark = pytest.mark.slow

SECRET = "restart-signing-secret"
CLAIM_SECONDS = 10  # LOOKOUT_NOTIFICATION_CLAIM_SECONDS: the killed process's claim lapses


@dataclass
class Receiver:
    url: str = ""
    attempts: int = 0
    bad_signatures: int = 0
    delivered: list[dict[str, Any]] = field(default_factory=list)
    first_attempt: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(self.headers.get("OhDear-Signature", ""), expected):
                state.bad_signatures += 1
                self.send_response(400)
                self.end_headers()
                return
            state.attempts += 1
            if state.attempts == 1:
                # The first attempt hangs: the sender is killed while it waits for us.
                state.first_attempt.set()
                state.release.wait(60)
                self.send_response(500)
                self.end_headers()
                return
            state.delivered.append(json.loads(raw))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def wait_for(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_process_killed_before_delivery_delivers_once_on_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(tmp_path),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_NOTIFICATION_CLAIM_SECONDS": str(CLAIM_SECONDS),
    }
    env.pop("LOOKOUT_DATABASE_URL", None)
    issued = issue_token(env, "k@e.test", "K")
    db = tmp_path / "lookout.db"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    headers = {"Authorization": f"Bearer {issued['token']}"}
    refused = f"http://127.0.0.1:{free_port()}/"  # nothing listens: the monitor goes down

    first = start(env, port)
    try:
        made = httpx.post(
            f"{api}/team-notification-destinations/{issued['team_id']}", headers=headers,
            json={"channel": "webhook", "destination": {"url": receiver.url, "secret": SECRET}},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        created = httpx.post(
            f"{api}/monitors", headers=headers,
            json={"url": refused, "team_id": issued["team_id"], "type": "http", "checks": ["uptime"],
                  "uptime_check_settings": {"check_interval_in_seconds": 5,
                                            "failed_notification_threshold": 1}},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        # The check fails, the state change is stored, the outbox claims the message and
        # starts sending it: the receiver holds the request, and the process dies.
        assert receiver.first_attempt.wait(40), "the webhook was never attempted"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=10)
    receiver.release.set()

    changes = rows(db, "select kind, processed_at from state_changes")
    assert [kind for kind, _ in changes] == ["failed"] and changes[0][1] is not None
    [(status, claimed_by, attempts)] = rows(
        db, "select status, claimed_by, attempts from notification_messages"
    )
    assert (status, attempts) == ("pending", 0) and claimed_by is not None  # claimed, never finished
    assert rows(db, "select count(*) from notification_deliveries") == [(0,)]

    second = start(env, port)
    try:
        wait_for(lambda: receiver.delivered, CLAIM_SECONDS + 30, "the delivery after the restart")
        # Give a duplicate the time it would need to show up (another outbox round or two).
        time.sleep(3)
    finally:
        stop(second)
    assert receiver.bad_signatures == 0
    assert [body["type"] for body in receiver.delivered] == ["uptimeCheckFailed"]
    body = receiver.delivered[0]
    assert body["monitor"]["id"] == created.json()["id"] and body["run"]["kind"] == "failed"
    assert receiver.attempts == 2  # the killed attempt and the one that arrived
    assert rows(db, "select status, attempts from notification_messages") == [("sent", 1)]
    assert rows(db, "select attempt, status from notification_deliveries") == [(1, "sent")]
