"""Extra roots for a headless Chromium: a home directory whose NSS database trusts the
certificates of LOOKOUT_CA_BUNDLE, given to the browser as HOME.

Chromium on Linux verifies with its own root store plus the roots trusted in
`$HOME/.pki/nssdb`; it never reads a PEM file. So the bundle the other checks trust is
written into such a database once per process (with NSS's `certutil`, Debian's
libnss3-tools) and every audit's browser shares it read-only. Without certutil the audits
trust only the public roots, and the log says why once.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_PEM_END = "-----END CERTIFICATE-----"
_CERTUTIL_TIMEOUT_S = 30
# ca file -> home directory (None: it could not be made), per process.
_homes: dict[str, str | None] = {}


async def home_trusting(ca_file: str) -> str | None:
    """A HOME for Chromium that trusts `ca_file`'s certificates; None when none can be made."""
    if ca_file not in _homes:  # two audits at once may both build one: harmless
        _homes[ca_file] = await asyncio.to_thread(_build, ca_file)
    return _homes[ca_file]


def certificates(pem: str) -> list[str]:
    """The PEM certificates in a bundle, each with its BEGIN and END lines."""
    found = []
    for block in pem.split(_PEM_END)[:-1]:
        start = block.find("-----BEGIN CERTIFICATE-----")
        if start >= 0:
            found.append(block[start:] + _PEM_END + "\n")
    return found


def _build(ca_file: str) -> str | None:
    certutil = shutil.which("certutil")
    if certutil is None:
        log.warning("Lighthouse audits do not trust LOOKOUT_CA_BUNDLE: certutil (libnss3-tools) is missing")
        return None
    home = tempfile.mkdtemp(prefix="lookout-browser-home-")
    atexit.register(shutil.rmtree, home, True)
    database = Path(home) / ".pki" / "nssdb"
    database.mkdir(parents=True)
    try:
        pems = certificates(Path(ca_file).read_text(encoding="ascii", errors="replace"))
        _certutil(certutil, "-N", "-d", f"sql:{database}", "--empty-password")
        for number, pem in enumerate(pems):
            path = Path(home) / f"root-{number}.pem"
            path.write_text(pem, encoding="ascii")
            _certutil(
                certutil,
                "-A",
                "-d",
                f"sql:{database}",
                "-n",
                f"lookout-{number}",
                "-t",
                "C,,",
                "-i",
                str(path),
            )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("Lighthouse audits do not trust LOOKOUT_CA_BUNDLE: %s", exc)
        return None
    return home


def _certutil(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=_CERTUTIL_TIMEOUT_S)
