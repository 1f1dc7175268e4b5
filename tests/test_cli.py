"""The `lookout` command as a person runs it: a real process on a fresh data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def lookout(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOOKOUT_DATA_DIR": str(data_dir)}
    env.pop("LOOKOUT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "lookout", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_token_create_json_then_revoke(tmp_path: Path) -> None:
    created = lookout(tmp_path, "token", "create", "--email", "cli@example.test", "--team", "CLI", "--json")
    assert created.returncode == 0, created.stderr
    body = json.loads(created.stdout)
    assert set(body) == {"id", "token", "dnspod_token", "user_id", "team_id"}
    assert body["dnspod_token"] == f"{body['id']},{body['token']}"
    assert (tmp_path / "lookout.db").exists()
    again = json.loads(
        lookout(tmp_path, "token", "create", "--email", "cli@example.test", "--team", "CLI", "--json").stdout
    )
    assert (again["user_id"], again["team_id"]) == (body["user_id"], body["team_id"]) and again["id"] != body[
        "id"
    ]

    revoked = lookout(tmp_path, "token", "revoke", str(body["id"]))
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    twice = lookout(tmp_path, "token", "revoke", str(body["id"]))
    assert twice.returncode == 1


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = lookout(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "lookout.db").exists()
