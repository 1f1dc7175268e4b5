"""Loopback registries for the domain check: an RDAP server (JSON over HTTP, with its own
IANA-style bootstrap file) and a WHOIS server (port-43 style TCP), each in a thread so
tests whose Lookout runs in another thread can use them too."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def rdap_domain(
    name: str,
    *,
    expires: datetime | None,
    registered: datetime | None = None,
    statuses: Sequence[str] = ("active",),
    registrar: str = "Loopback Registrar B.V.",
    nameservers: Sequence[str] = ("ns1.loopback.test", "ns2.loopback.test"),
) -> dict[str, Any]:
    """An RDAP domain object (RFC 9083) as registries send them."""
    events = []
    if registered is not None:
        events.append({"eventAction": "registration", "eventDate": registered.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if expires is not None:
        events.append({"eventAction": "expiration", "eventDate": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})
    events.append({"eventAction": "last update of RDAP database", "eventDate": "2026-11-29T10:00:00.123Z"})
    return {
        "objectClassName": "domain",
        "ldhName": name.upper(),
        "status": list(statuses),
        "events": events,
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["registrar"],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", registrar]]],
            }
        ],
        "nameservers": [{"objectClassName": "nameserver", "ldhName": ns.upper()} for ns in nameservers],
        "notices": [{"title": "Terms of Use", "description": ["Loopback only."]}],
    }


@dataclass
class RunningRdap:
    url: str
    domains: dict[str, dict[str, Any]]
    tlds: list[str]
    requests: list[str] = field(default_factory=list)

    @property
    def bootstrap_url(self) -> str:
        return f"{self.url}/dns.json"

    @property
    def base_url(self) -> str:
        return f"{self.url}/rdap/"


@contextmanager
def serve_rdap(domains: Mapping[str, dict[str, Any]], tlds: Sequence[str]) -> Iterator[RunningRdap]:
    """Serve `/dns.json` (naming this server for `tlds`) and `/rdap/domain/{name}`."""
    state = RunningRdap("", {k.lower(): v for k, v in domains.items()}, list(tlds))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            state.requests.append(self.path)
            if self.path == "/dns.json":
                body: Any = {
                    "version": "1.0",
                    "publication": "2026-11-01T00:00:00Z",
                    "services": [
                        [["nothing-here"], ["ftp://wrong.example/"]],
                        [state.tlds, [state.base_url]],
                    ],
                }
                self._json(200, body)
            elif self.path.startswith("/rdap/domain/"):
                name = self.path.removeprefix("/rdap/domain/").lower()
                found = state.domains.get(name)
                if found is None:
                    self._json(404, {"errorCode": 404, "title": "Not Found"})
                else:
                    self._json(200, found)
            else:
                self._json(404, {"errorCode": 404})

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

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


@dataclass
class RunningWhois:
    host: str
    port: int
    questions: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@contextmanager
def serve_whois(answers: Mapping[str, str]) -> Iterator[RunningWhois]:
    """Answer each one-line question with `answers[question]` (else "No match for"), then close."""
    state = RunningWhois("127.0.0.1", 0)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            question = self.rfile.readline(1024).decode("ascii", "replace").strip().lower()
            state.questions.append(question)
            answer = answers.get(question, f'No match for "{question.upper()}".\r\n')
            self.wfile.write(answer.encode())

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
