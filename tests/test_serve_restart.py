"""`lookout serve` stopped mid-run and started again loses no result and no schedule.

Real processes: a loopback HTTP target in a thread, Lookout in a subprocess on SQLite.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.servers.threaded_http import welcome_site

pytestmark = pytest.mark.slow


@pytest.fixture
def target() -> Iterator[str]:
    with welcome_site() as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def issue_token(env: dict[str, str], email: str, team: str) -> dict[str, Any]:
    """`lookout token create --json` against the database `env` names."""
    created = subprocess.run(
        [sys.executable, "-m", "lookout", "token", "create", "--email", email, "--team", team, "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    issued: dict[str, Any] = json.loads(created.stdout)
    return issued


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lookout", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    # 8 s alone with 2 API workers on a slow day, past 20 s beside another test worker.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("lookout serve did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises the signal, so -15 is a clean stop.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"Application shutdown complete." in err, err.decode()[-2000:]


def stored(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def spawned_children(serve: psutil.Process) -> list[psutil.Process]:
    """The processes `lookout serve` spawned (API workers, check processes)."""
    return [child for child in serve.children() if "spawn_main" in " ".join(child.cmdline())]


def wait_for_runs(db: Path, at_least: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        count = stored(db, "select count(*) from check_runs")[0][0]  # type: ignore[assignment]
        if count >= at_least:
            return count
        time.sleep(0.2)
    return count


def test_restart_loses_no_result_and_no_schedule(tmp_path: Path, target: str) -> None:
    env = {**os.environ, "LOOKOUT_DATA_DIR": str(tmp_path), "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true"}
    env.pop("LOOKOUT_DATABASE_URL", None)
    issued = issue_token(env, "r@e.test", "R")
    db = tmp_path / "lookout.db"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    headers = {"Authorization": f"Bearer {issued['token']}"}

    first = start(env, port)
    try:
        created = httpx.post(
            f"{api}/monitors", headers=headers,
            json={"url": target, "team_id": issued["team_id"], "type": "http", "checks": ["uptime"],
                  "uptime_check_settings": {"check_interval_in_seconds": 5}},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        before = wait_for_runs(db, 2, 20)
        assert before >= 2
    finally:
        stop(first)

    # A run's ended_at is epoch milliseconds (migration 0024); a check's is DATETIME text.
    newest = "datetime(max(ended_at) / 1000, 'unixepoch')"
    runs_at_stop = stored(db, f"select count(*), {newest} from check_runs")[0]
    check = stored(db, "select latest_run_ended_at, next_run_at from checks where type = 'uptime'")[0]
    # What the API shows is the newest stored run: nothing was acknowledged but not stored.
    assert check[0] is not None and str(check[0])[:19] == str(runs_at_stop[1])[:19]

    second = start(env, port)
    try:
        after = wait_for_runs(db, int(runs_at_stop[0]) + 2, 20)  # type: ignore[call-overload]
        assert after >= int(runs_at_stop[0]) + 2, "the schedule did not resume"  # type: ignore[call-overload]
        summary = httpx.get(
            f"{api}/monitors/{created.json()['id']}/check-summary/uptime", headers=headers
        ).json()
        assert summary == {"result": "succeeded", "summary": "Up"}
    finally:
        stop(second)
    assert stored(db, "select count(*) from check_runs")[0][0] >= after
