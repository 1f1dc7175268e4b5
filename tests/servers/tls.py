"""A throwaway certificate authority (trustme) and server contexts signed by it."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def write_ca(ca: trustme.CA, directory: Path) -> str:
    path = directory / "lookout-test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)
