"""A loopback app publishing Oh Dear-style health check results (A13), in a thread.

`/health/{case}` answers one fixed case (ok, warning, failed, crashed, stale, iso,
bad-json, 500); `/health/live` answers whatever `state.live` holds. Every route wants the
secret header and answers 401 without it; the headers of the last request are kept.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "s3cret-for-tests"


def result(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": name.replace("Used", "Used "),
        "notificationMessage": f"{name} is {status}",
        "shortSummary": status,
        "status": status,
        "meta": {"value": 42},
        **extra,
    }


def results(*entries: dict[str, Any], finished_at: Any = None) -> dict[str, Any]:
    return {
        "finishedAt": int(time.time()) if finished_at is None else finished_at,
        "checkResults": list(entries),
    }


def _case(name: str) -> tuple[int, bytes]:
    ok = result("Database", "ok")
    cases: dict[str, Any] = {
        "ok": results(ok, result("UsedDiskSpace", "ok"), result("Queue", "skipped")),
        "warning": results(ok, result("UsedDiskSpace", "warning")),
        "failed": results(ok, result("UsedDiskSpace", "failed")),
        "crashed": results(ok, result("Horizon", "crashed")),
        "stale": results(ok, finished_at=int(time.time()) - 3 * 3600),
        "iso": {
            "finishedAt": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "checkResults": [
                {"name": "Cache", "status": "ok"},
                {"name": "Debug", "status": "OK", "meta": []},
            ],
        },
    }
    if name == "bad-json":
        return 200, b"<html>not json</html>"
    if name == "500":
        return 500, b'{"message": "Server Error"}'
    if name not in cases:
        return 404, b"{}"
    return 200, json.dumps(cases[name]).encode()


@dataclass
class RunningApp:
    url: str = ""
    live: dict[str, Any] = field(default_factory=lambda: results(result("Database", "ok")))
    last_headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0


@contextmanager
def serve_app_health() -> Iterator[RunningApp]:
    state = RunningApp()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            state.hits += 1
            state.last_headers = {k.lower(): v for k, v in self.headers.items()}
            if self.headers.get("oh-dear-health-check-secret") != SECRET:
                status, body = 401, b'{"message": "Unauthenticated."}'
            elif self.path == "/health/live":
                status, body = 200, json.dumps(state.live).encode()
            else:
                status, body = _case(self.path.removeprefix("/health/"))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
