"""The roots libcurl trusts: the system's bundle plus the operator's extra CA file.

libcurl's CAINFO replaces the system roots rather than adding to them, so an extra CA
(LOOKOUT_CA_BUNDLE) is appended to a copy of the system bundle once, at start-up.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path


def system_bundle() -> Path | None:
    """The system's PEM bundle, or certifi's when the system has none."""
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and Path(cafile).is_file():
        return Path(cafile)
    try:
        import certifi
    except ImportError:
        return None
    return Path(certifi.where())


def trust_bundle(extra: str, directory: Path) -> str:
    """A PEM file of the system roots followed by `extra`'s; written under `directory`."""
    extra_pem = Path(extra).read_bytes()
    if b"-----BEGIN CERTIFICATE-----" not in extra_pem:
        raise ValueError(f"LOOKOUT_CA_BUNDLE {extra} holds no PEM certificate")
    system = system_bundle()
    combined = (system.read_bytes() if system else b"") + b"\n" + extra_pem
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / "ca-bundle.pem"
    # Replaced whole, never rewritten in place: a check process builds its context (and this
    # file) while the engine's checks may be reading it.
    partial = directory / f".ca-bundle.pem.{os.getpid()}"
    partial.write_bytes(combined)
    os.replace(partial, out)
    return str(out)
