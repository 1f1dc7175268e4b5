"""Real receivers on loopback: an HTTP endpoint that checks Oh Dear signatures (and can
answer 500 or hang) and takes Apprise json:// posts, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import socketserver
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class HookReceiver:
    secret: str = "s3cret-signing-key"
    port: int = 0
    # What the next requests get: "ok", "500" or "hang"; the last entry repeats.
    script: list[str] = field(default_factory=lambda: ["ok"])
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    hits: int = 0
    apprise: list[dict[str, Any]] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self) -> list[str]:
        return [body["type"] for body in self.received]

    async def hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        mode = self.script[min(self.hits, len(self.script) - 1)]
        self.hits += 1
        expected = hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("OhDear-Signature", ""), expected):
            self.bad_signatures += 1
            return web.Response(status=400)
        if mode == "hang":
            await asyncio.sleep(30)
        if mode == "500":
            return web.Response(status=500)
        self.received.append(json.loads(raw))
        return web.Response(status=200)

    async def apprise_json(self, request: web.Request) -> web.Response:
        self.apprise.append(await request.json())
        return web.Response(status=200)


@asynccontextmanager
async def serve_hooks(receiver: HookReceiver | None = None) -> AsyncIterator[HookReceiver]:
    receiver = receiver or HookReceiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    app.router.add_post("/apprise", receiver.apprise_json)
    app.router.add_post("/hooks/{key}", receiver.apprise_json)  # Mattermost-style
    runner = web.AppRunner(app, shutdown_timeout=0.1, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        await runner.cleanup()


@dataclass
class Mailbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_smtp() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


class _ThreadedHandler(BaseHTTPRequestHandler):
    inbox: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        self.inbox.append((self.path, dict(self.headers.items()), self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def threaded_hooks() -> Iterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    """An HTTP receiver in a thread (for tests whose app runs its own loop): base URL and
    the (path, headers, body) of every POST."""
    inbox: list[tuple[str, dict[str, str], bytes]] = []
    handler = type("Handler", (_ThreadedHandler,), {"inbox": inbox})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", inbox
    finally:
        server.shutdown()
        server.server_close()


class TcpTarget:
    """A TCP port that accepts (up) or refuses (down) connections, in a thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: socketserver.TCPServer | None = None

    def up(self) -> None:
        socketserver.TCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(
            ("127.0.0.1", self.port), socketserver.BaseRequestHandler
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
