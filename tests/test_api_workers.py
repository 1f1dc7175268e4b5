"""`lookout serve` with API workers (LOOKOUT_API_WORKERS): the workers answer the API on the
public port, the engine's process runs the checks, a run asked through a worker runs in the
engine, /ready and /metrics report the engine, a worker that dies is replaced, and a stop
ends every process.

Real processes: a loopback HTTP target in a thread, Lookout in a subprocess on SQLite.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from lookout.workers import AUTO_WORKERS_FROM, api_workers_for
from tests.servers.threaded_http import welcome_site
from tests.test_operate import wait_until
from tests.test_serve_restart import (
    free_port,
    issue_token,
    spawned_children,
    start,
    stop,
    stored,
    wait_for_runs,
)

pytestmark = pytest.mark.slow

RATE_LIMIT = 40


@pytest.fixture
def target() -> Iterator[str]:
    with welcome_site() as url:
        yield url


def api_workers(serve: psutil.Process) -> list[psutil.Process]:
    return spawned_children(serve)  # with no check processes, the API workers


def test_api_workers_serve_the_api_while_the_engine_checks(tmp_path: Path, target: str) -> None:
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(tmp_path),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_API_WORKERS": "2",
        "LOOKOUT_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
    }
    env.pop("LOOKOUT_DATABASE_URL", None)
    issued = issue_token(env, "w@e.test", "W")
    db = tmp_path / "lookout.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {issued['token']}"}

    serve = start(env, port)
    parent = psutil.Process(serve.pid)
    try:
        workers = api_workers(parent)
        assert len(workers) == 2

        # An hour between runs: the first run is at once (never run), a second one only on request.
        created = httpx.post(
            f"{base}/api/monitors", headers=headers,
            json={"url": target, "team_id": issued["team_id"], "type": "http", "checks": ["uptime"],
                  "uptime_check_settings": {"check_interval_in_seconds": 3600}},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        check_id = created.json()["checks"][0]["id"]
        assert wait_for_runs(db, 1, 20) == 1
        asked = httpx.post(f"{base}/api/checks/{check_id}/request-run", headers=headers)
        assert asked.status_code == 200, asked.text
        assert wait_for_runs(db, 2, 20) == 2, "the run asked through a worker did not run"

        ready = httpx.get(f"{base}/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["engine"]["running"] is True
        # Counted in the engine's process, answered by a worker.
        scrape = httpx.get(f"{base}/metrics").text
        assert 'lookout_check_runs_total{check_type="uptime",outcome="succeeded"} 2.0' in scrape

        # A worker that dies is replaced, and the other answers meanwhile.
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        assert httpx.get(f"{base}/api/me", headers=headers).status_code == 200
        wait_until(lambda: len(api_workers(parent)) == 2, 20, "the dead worker's replacement")
        replacement = next(p for p in api_workers(parent) if p.pid != workers[1].pid)
        assert replacement.pid != workers[0].pid
        wait_until(lambda: httpx.get(f"{base}/ready").status_code == 200, 20, "ready again")
        workers = api_workers(parent)
        # The listening socket and the workers' connections to it: one directory.
        private = list(
            {
                Path(c.laddr).parent
                for c in parent.net_connections(kind="unix")
                if c.laddr.endswith("engine.sock")
            }
        )
        assert len(private) == 1 and private[0].stat().st_mode & 0o777 == 0o700

        # One budget per token whichever worker answers (each request on a new connection),
        # the replacement worker included: three /api requests were made above.
        answers = [httpx.get(f"{base}/api/me", headers=headers).status_code for _ in range(RATE_LIMIT)]
        assert answers.count(200) == RATE_LIMIT - 3 and answers.count(429) == 3, answers
    finally:
        stop(serve)
    assert not any(worker.is_running() for worker in workers), "a worker outlived lookout serve"
    assert not private[0].exists(), "the engine's private socket directory was left behind"
    assert stored(db, f"select count(*) from check_runs where check_id = {check_id}")[0][0] == 2


def test_workers_stop_when_the_engine_process_is_killed(tmp_path: Path) -> None:
    """SIGKILL gives `lookout serve` no chance to stop its workers: they notice and stop,
    and the port is free again."""
    env = {**os.environ, "LOOKOUT_DATA_DIR": str(tmp_path), "LOOKOUT_API_WORKERS": "2"}
    env.pop("LOOKOUT_DATABASE_URL", None)
    port = free_port()
    serve = start(env, port)
    workers = api_workers(psutil.Process(serve.pid))
    assert len(workers) == 2
    serve.kill()
    serve.communicate(timeout=20)
    gone, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive, "API workers outlived a killed lookout serve"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_without_the_engine_process_ready_says_so(tmp_path: Path) -> None:
    """A worker whose engine process does not answer is not ready (503), and says why."""
    from lookout.api.engine_link import EngineLink, EngineUnreachableError

    link = EngineLink(tmp_path / "nothing-listens-here.sock")
    with pytest.raises(EngineUnreachableError):
        link.health()
    assert link.running is False


def test_auto_starts_workers_for_a_large_instance_on_two_cores_or_more() -> None:
    assert api_workers_for("auto", AUTO_WORKERS_FROM - 1, 8) == 0
    assert api_workers_for("auto", AUTO_WORKERS_FROM, 2) == 2
    assert api_workers_for("auto", 1_000_000, 1) == 0
    assert api_workers_for("auto", 1_000_000, None) == 0  # cores unknown
    assert api_workers_for(0, 1_000_000, 8) == 0 and api_workers_for(3, 0, 1) == 3
