"""Operating Lookout as an SRE would: logs, /metrics, /health and /ready, and the CLI's
everyday verbs against a running instance, all on a real `lookout serve` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers.threaded_http import welcome_site
from tests.test_serve_restart import free_port, start

pytestmark = pytest.mark.slow


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lookout", *args], env=env, capture_output=True, text=True, timeout=60
    )


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def counter(metrics_text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics_text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(tmp_path),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_LOG_FORMAT": "json",
        "LOOKOUT_ACCESS_LOG": "false",
    }
    env.pop("LOOKOUT_DATABASE_URL", None)
    yield env


def test_an_sre_sees_checks_state_changes_and_readiness(tmp_path: Path, server_env: dict[str, str]) -> None:
    issued = json.loads(
        run_cli(server_env, "token", "create", "--email", "sre@e.test", "--team", "Ops", "--json").stdout
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client_env = {**server_env, "LOOKOUT_URL": base, "LOOKOUT_TOKEN": issued["token"]}
    server = start(server_env, port)
    try:
        assert httpx.get(f"{base}/health").json()["status"] == "ok"
        with welcome_site() as target:
            added = run_cli(client_env, "monitors", "add", target, "--interval", "5", "--json")
            assert added.returncode == 0, added.stderr
            monitor = json.loads(added.stdout)

            def shown_up() -> bool:
                status = run_cli(client_env, "status", "--json")
                return status.returncode == 0 and json.loads(status.stdout) == [
                    {"id": monitor["id"], "url": target, "state": "succeeded"}
                ]

            wait_until(shown_up, 30, "the monitor to be up in `lookout status`")
            scraped = httpx.get(f"{base}/metrics").text
            assert counter(scraped, "lookout_check_runs_total", check_type="uptime", outcome="succeeded") >= 1
            assert "lookout_scheduler_lag_seconds_count" in scraped
            assert "lookout_runs_in_flight" in scraped
            assert 'lookout_outbox_backlog{kind="messages"}' in scraped
            assert "lookout_engine_behind_schedule 0.0" in scraped
            ready = httpx.get(f"{base}/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["database"] == "ok"
            # One monitor every 5 s keeps to its schedule (tests/engine/test_behind_schedule.py
            # shows an engine that does not).
            assert ready.json()["checks"]["engine"]["behind_schedule"] is False

            # A table for people, on stdout; nothing on stderr.
            table = run_cli({**client_env, "COLUMNS": "200"}, "status")
            assert table.returncode == 0 and target in table.stdout and not table.stderr

        # The target is gone: the check fails, the state change is logged and counted.
        def failed() -> bool:
            status = run_cli(client_env, "status", "--json")
            return status.returncode == 1 and json.loads(status.stdout)[0]["state"] == "failed"

        wait_until(failed, 60, "the monitor to fail")
        scraped = httpx.get(f"{base}/metrics").text
        assert counter(scraped, "lookout_state_changes_total", kind="failed") >= 1

        # The database file disappears from under the running process: not ready, with why.
        db = tmp_path / "lookout.db"
        db.rename(tmp_path / "moved.db")
        try:
            unready = httpx.get(f"{base}/ready")
            assert unready.status_code == 503
            assert "database" in unready.json()["problems"][0]
        finally:
            (tmp_path / "moved.db").rename(db)
        assert httpx.get(f"{base}/ready").status_code == 200
    finally:
        _, err = stop_and_read(server)
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    messages = [r["message"] for r in records]
    assert any(m.startswith("lookout 0.") and "starting" in m for m in messages)
    assert any(m.startswith("engine started") for m in messages)
    changes = [r for r in records if r.get("event") == "state_change"]
    assert any(c["kind"] == "failed" and c["monitor_id"] == monitor["id"] for c in changes), changes
    assert issued["token"] not in err  # secrets never reach the log
    assert not any("GET /metrics" in m for m in messages)  # access log off


def stop_and_read(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    import signal

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    return process.returncode, err.decode()


def test_cli_errors_are_one_line_on_stderr(tmp_path: Path) -> None:
    env = {**os.environ, "LOOKOUT_DATA_DIR": str(tmp_path)}
    env.pop("LOOKOUT_DATABASE_URL", None)
    missing = run_cli({**env, "LOOKOUT_CONFIG": str(tmp_path / "nope.toml")}, "migrate")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().count("\n") == 0 and "nope.toml" in missing.stderr
    (tmp_path / "typo.toml").write_text("prot = 9000\n")
    typo = run_cli({**env, "LOOKOUT_CONFIG": str(tmp_path / "typo.toml")}, "migrate")
    assert typo.returncode == 2 and "unknown setting(s) prot" in typo.stderr
    bad = run_cli({**env, "LOOKOUT_PORT": "eighty"}, "migrate")
    assert bad.returncode == 2 and "LOOKOUT_PORT" in bad.stderr
    no_redis = run_cli({k: v for k, v in env.items() if k != "LOOKOUT_REDIS_URL"}, "worker")
    assert no_redis.returncode == 2
    assert no_redis.stderr == "error: bad setting: LOOKOUT_QUEUE=redis needs LOOKOUT_REDIS_URL\n"
    no_workers = run_cli({**env, "LOOKOUT_RUN_CHECKS": "false"}, "serve")
    assert (
        no_workers.returncode == 2
        and "LOOKOUT_RUN_CHECKS=false needs LOOKOUT_QUEUE=redis" in no_workers.stderr
    )
    elsewhere = run_cli({**env, "LOOKOUT_LOCATIONS": "paris"}, "serve")
    assert elsewhere.returncode == 2 and "LOOKOUT_LOCATIONS needs LOOKOUT_QUEUE=redis" in elsewhere.stderr
    odd = run_cli({**env, "LOOKOUT_LOCATIONS": "paris, new york"}, "serve")
    assert odd.returncode == 2 and "'new york' is not a location name" in odd.stderr
    unreachable = run_cli({**env, "LOOKOUT_DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/db"}, "migrate")
    assert unreachable.returncode == 1 and "cannot use the database" in unreachable.stderr
    assert "pw" not in unreachable.stderr.replace("pw@", "") and unreachable.stderr.count("\n") == 1
    no_token = run_cli({k: v for k, v in env.items() if k != "LOOKOUT_TOKEN"}, "status")
    assert no_token.returncode == 2 and "LOOKOUT_TOKEN" in no_token.stderr
    version = run_cli(env, "--version")
    assert version.returncode == 0 and version.stdout.startswith("lookout ")


def test_token_list_shows_ids_never_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "LOOKOUT_DATA_DIR": str(tmp_path)}
    env.pop("LOOKOUT_DATABASE_URL", None)
    issued = json.loads(
        run_cli(env, "token", "create", "--email", "a@e.test", "--team", "A", "--json").stdout
    )
    listed = json.loads(run_cli(env, "token", "list", "--json").stdout)
    assert [t["id"] for t in listed] == [issued["id"]]
    assert listed[0]["email"] == "a@e.test" and issued["token"] not in json.dumps(listed)
    assert run_cli(env, "token", "revoke", str(issued["id"])).returncode == 0
    assert json.loads(run_cli(env, "token", "list", "--json").stdout)[0]["revoked_at"] is not None
    assert run_cli(env, "token", "revoke", "999").returncode == 1
