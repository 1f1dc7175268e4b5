"""Loopback servers for failover tests and the benchmark, each in its own thread.

`Site` is a web server on one loopback IP and port that can be stopped and started again
on the same address (the D-Monitor dials IP:port, so the original and the backup share a
port on 127.0.0.2 and 127.0.0.3). With `flap=True` it drops every other connection (closes
it without an answer). `CallbackReceiver` takes DNSPod callbacks and checks their checksum
as a user's receiver would.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Site:
    def __init__(self, ip: str, port: int, flap: bool = False) -> None:
        self.ip, self.port = ip, port
        self.flap = flap
        self.hits = 0
        self._server: _Server | None = None
        self._lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                with site._lock:
                    site.hits += 1
                    drop = site.flap and site.hits % 2 == 0
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = f"served by {site.ip}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._server = _Server((self.ip, self.port), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None


def dnspod_checksum(form: dict[str, str], key: str) -> str:
    text = form["monitor_id"] + form["domain_id"] + form["record_id"] + key + form["created_at"]
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class CallbackReceiver:
    """Answers DONE to a callback whose checksum holds, BAD REQUEST (400) otherwise; with
    `fail_first` it answers 503 to that many posts first (to see retries)."""

    def __init__(self, key: str, fail_first: int = 0) -> None:
        self.key = key
        self.fail_first = fail_first
        self.received: list[dict[str, str]] = []
        self.bad: list[dict[str, str]] = []
        self.refused = 0
        self.port = free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                if receiver.refused < receiver.fail_first:
                    receiver.refused += 1
                    code, text = 503, b"busy"
                elif form.get("checksum") == dnspod_checksum(form, receiver.key):
                    receiver.received.append(form)
                    code, text = 200, b"DONE"
                else:
                    receiver.bad.append(form)
                    code, text = 400, b"BAD REQUEST"
                self.send_response(code)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dnspod-callback"

    def statuses(self) -> list[str]:
        return [form["status"] for form in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
