"""A loopback site for Lighthouse audits, in a thread (the audit's browser and, in API
tests, the engine run elsewhere).

    /good    a small accessible page; it also asks for an image on the cloud metadata
             address, which the guard proxy must refuse
    /plain   the same page without the metadata image (for tests that dial for real)
    /poor    the same text with accessibility faults: no lang, no title, an image without
             alt text, a nameless button, grey on grey
    /error   answers 500
    /hang    answers nothing for a minute
    /img.png a small image

`requests` lists (path, X-Audit header) of every request, in order.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

METADATA_IMAGE = "http://169.254.169.254/latest/meta-data/logo.png"
GOOD = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Lookout audit page</title><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="A small page that Lighthouse finds little wrong with.">
</head><body><main><h1>Audited</h1><p>Plain text, quick to paint.</p>
<img src="/img.png" alt="A dot" width="8" height="8">
<img src="{METADATA_IMAGE}" alt="Not allowed" width="8" height="8">
</main></body></html>""".encode()
POOR = b"""<!doctype html><html><head><meta charset="utf-8"></head><body>
<div style="color:#bbb;background:#ccc"><p>Plain text, quick to paint.</p></div>
<img src="/img.png"><button></button><input type="text">
</body></html>"""
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2"
    "21bc330000000049454e44ae426082"
)


@dataclass
class AuditSite:
    url: str
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@contextmanager
def audit_site(tls: ssl.SSLContext | None = None) -> Iterator[AuditSite]:
    """Serve the site on a free loopback port (over TLS with `tls`)."""
    site = AuditSite(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            site.requests.append((self.path, self.headers.get("X-Audit")))
            if self.path == "/hang":
                time.sleep(60)
                return
            status, kind, body = 200, "text/html; charset=utf-8", b""
            if self.path == "/good":
                body = GOOD
            elif self.path == "/plain":
                body = GOOD.replace(METADATA_IMAGE.encode(), b"/img.png")
            elif self.path == "/poor":
                body = POOR
            elif self.path == "/img.png":
                kind, body = "image/png", PNG
            elif self.path == "/error":
                status, body = 500, b"<h1>It broke</h1>"
            else:
                status, body = 404, b"<h1>Not here</h1>"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    site.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
