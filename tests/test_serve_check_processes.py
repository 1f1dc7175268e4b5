"""`lookout serve` with a check process (LOOKOUT_CHECK_PROCESSES=1): it runs the uptime
checks the engine schedules, one that is killed is replaced, /metrics counts them and their
runs, and a stop ends it.

Real processes: a loopback HTTP target in a thread, Lookout in a subprocess on SQLite.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from lookout.workers import AUTO_CHECK_PROCESSES_FROM, check_processes_for
from tests.servers.threaded_http import welcome_site
from tests.test_operate import wait_until
from tests.test_serve_restart import free_port, issue_token, spawned_children, start, stop, wait_for_runs

pytestmark = pytest.mark.slow


@pytest.fixture
def target() -> Iterator[str]:
    with welcome_site() as url:
        yield url


def metric(base: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", httpx.get(f"{base}/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def check_processes(serve: psutil.Process) -> list[psutil.Process]:
    return spawned_children(serve)  # with no API workers, the check processes


def test_a_check_process_runs_the_checks_and_is_replaced_when_it_dies(tmp_path: Path, target: str) -> None:
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(tmp_path),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_API_WORKERS": "0",
        "LOOKOUT_CHECK_PROCESSES": "1",
    }
    env.pop("LOOKOUT_DATABASE_URL", None)
    issued = issue_token(env, "c@e.test", "C")
    db = tmp_path / "lookout.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {issued['token']}"}
    serve = start(env, port)
    try:
        [child] = check_processes(psutil.Process(serve.pid))
        assert metric(base, "lookout_check_processes") == 1
        created = httpx.post(
            f"{base}/api/monitors", headers=headers,
            json={"url": target, "team_id": issued["team_id"], "type": "http", "checks": ["uptime"],
                  "uptime_check_settings": {"check_interval_in_seconds": 3600}},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        check_id = created.json()["checks"][0]["id"]
        assert wait_for_runs(db, 1, 20) == 1
        assert metric(base, 'lookout_check_process_runs_total{result="done"}') == 1

        child.send_signal(signal.SIGKILL)
        child.wait(10)
        replacement = wait_until(
            lambda: next((p for p in check_processes(psutil.Process(serve.pid)) if p.pid != child.pid), None),
            20,
            "a new check process",
        )
        wait_until(lambda: metric(base, "lookout_check_processes") == 1, 10, "the new process counted")
        assert httpx.post(f"{base}/api/checks/{check_id}/request-run", headers=headers).status_code == 200
        assert wait_for_runs(db, 2, 20) == 2
        assert metric(base, 'lookout_check_process_runs_total{result="done"}') == 2
    finally:
        stop(serve)
    assert not replacement.is_running(), "a check process outlived lookout serve"


def test_auto_starts_a_check_process_for_a_large_instance_on_two_cores_or_more() -> None:
    assert check_processes_for("auto", AUTO_CHECK_PROCESSES_FROM - 1, 8) == 0
    assert check_processes_for("auto", AUTO_CHECK_PROCESSES_FROM, 2) == 1
    assert check_processes_for("auto", 1_000_000, 1) == 0
    assert check_processes_for("auto", 1_000_000, None) == 0  # cores unknown
    assert check_processes_for(0, 1_000_000, 8) == 0 and check_processes_for(2, 0, 1) == 2
