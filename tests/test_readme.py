"""The README's tour runs as written: every ```sh block, in order, in one bash, against a
live `lookout serve` (only its port differs from the README's 8000)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.test_serve_restart import free_port, start, stop

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def tour_blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", README.read_text(), flags=re.MULTILINE | re.DOTALL)


def test_the_readme_has_a_tour() -> None:
    blocks = tour_blocks()
    assert len(blocks) >= 5
    assert all("8000" in block or "LOOKOUT_URL" in block or "$" in block for block in blocks)


def test_the_readme_tour_runs_against_a_live_server(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "LOOKOUT_DATA_DIR": str(tmp_path),
        "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
        "LOOKOUT_ACCESS_LOG": "false",  # the server's stderr is a pipe read only at the end
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    for name in ("LOOKOUT_DATABASE_URL", "LOOKOUT_URL", "LOOKOUT_TOKEN"):
        env.pop(name, None)
    script = "set -euo pipefail\n" + "\n".join(tour_blocks()).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    server = start(env, port)
    try:
        ran = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
    finally:
        stop(server)
    assert ran.returncode == 0, f"stdout:\n{ran.stdout[-4000:]}\nstderr:\n{ran.stderr[-4000:]}"
