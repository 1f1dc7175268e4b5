"""`lookout serve` schedules and `lookout worker` processes run the checks, over the shared
queue (LOOKOUT_QUEUE=redis). Real processes on a SQLite file and Redis: serve alone runs
nothing, a worker runs what it schedules and what the API asks, and a worker killed
outright loses nothing: the next one goes on with the schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REDIS_URL, forget_redis_keys, need_service
from tests.test_serve_restart import free_port, issue_token, start, stop, stored, wait_for_runs
from tests.test_serve_restart import target as target  # the fixture

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def start_worker(env: dict[str, str], *options: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "lookout", "worker", *options]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def location() -> Iterator[str]:
    """A location of this test's own, so its streams are its own in a shared Redis."""
    need_service("Redis", "127.0.0.1", 6379)
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    forget_redis_keys(f"lookout:queue:{name}:*")


def test_serve_schedules_and_workers_run_the_checks(tmp_path: Path, target: str, location: str) -> None:
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(tmp_path),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_QUEUE": "redis",
        "LOOKOUT_REDIS_URL": REDIS_URL,
        "LOOKOUT_LOCATION": location,
        "LOOKOUT_RUN_CHECKS": "false",
    }
    env.pop("LOOKOUT_DATABASE_URL", None)
    issued = issue_token(env, "w@e.test", "W")
    db = tmp_path / "lookout.db"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    headers = {"Authorization": f"Bearer {issued['token']}"}
    serve = start(env, port)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        created = httpx.post(
            f"{api}/monitors", headers=headers,
            json={"url": target, "team_id": issued["team_id"], "type": "http", "checks": ["uptime"],
                  "uptime_check_settings": {"check_interval_in_seconds": 5}},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        assert wait_for_runs(db, 1, 2) == 0  # serve only schedules: nothing runs yet

        workers.append(start_worker(env))
        assert wait_for_runs(db, 1, 20) >= 1
        assert stored(db, "select distinct location from check_runs") == [(location,)]
        workers[0].kill()  # no drain, no acknowledgement
        workers[0].wait(10)
        before = stored(db, "select count(*) from check_runs")[0][0]

        worker_port = free_port()
        workers.append(start_worker(env, "--port", str(worker_port)))
        # A job the killed worker held is taken over once its lease runs out (30 s).
        after = wait_for_runs(db, int(before) + 2, 60)  # type: ignore[call-overload]
        assert after >= int(before) + 2, "the schedule did not go on"  # type: ignore[call-overload]
        uptime = next(c for c in created.json()["checks"] if c["type"] == "uptime")
        asked = httpx.post(f"{api}/checks/{uptime['id']}/request-run", headers=headers)
        assert asked.status_code == 200, asked.text
        summary = httpx.get(f"{api}/monitors/{created.json()['id']}/check-summary/uptime", headers=headers)
        assert summary.json() == {"result": "succeeded", "summary": "Up"}
        # The worker's own operations endpoints: its runs are counted there, not in serve's.
        ops = f"http://127.0.0.1:{worker_port}"
        ready = httpx.get(f"{ops}/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["engine"]["running"] is True
        scraped = httpx.get(f"{ops}/metrics").text
        assert 'lookout_check_runs_total{check_type="uptime",outcome="succeeded"}' in scraped

        workers[1].send_signal(signal.SIGTERM)
        _, err = workers[1].communicate(timeout=30)
        # uvicorn stops gracefully, then re-raises the signal: -15 is a clean stop.
        assert workers[1].returncode in (0, -signal.SIGTERM), err.decode()[-2000:]
        assert b"worker stopped" in err, err.decode()[-2000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
        stop(serve)
    # Every run came from a worker at this location; serve's own engine ran none.
    assert stored(db, "select distinct location from check_runs") == [(location,)]
