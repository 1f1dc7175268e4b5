"""A real BIND 9 (`named`) on a loopback port: one primary zone that accepts RFC 2136
updates signed with a TSIG key, in a temporary directory.

`start_bind` returns when named answers on TCP; `stop` ends it. Tests skip with a reason
when named is not installed, or fail under LOOKOUT_TEST_REQUIRE_SERVICES=1 (the Makefile's
test target installs Debian's bind9 when it is missing).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NAMED_PATHS = ("/usr/sbin/named", "/usr/local/sbin/named")


def find_named() -> str | None:
    found = shutil.which("named")
    if found:
        return found
    return next((path for path in NAMED_PATHS if os.access(path, os.X_OK)), None)


def need_named() -> str:
    named = find_named()
    if named is not None:
        return named
    reason = "BIND 9's named is not installed (apt-get install bind9)"
    if os.environ.get("LOOKOUT_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} and LOOKOUT_TEST_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    # A port free for both TCP and UDP: named listens on both.
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free loopback port for named")


@dataclass
class Bind:
    host: str
    port: int
    zone: str
    key_name: str
    algorithm: str
    secret: str  # base64
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _write_config(directory: Path, port: int, zone: str, key_name: str, algorithm: str, secret: str) -> Path:
    (directory / f"{zone}.zone").write_text(
        f"$TTL 300\n"
        f"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60\n"
        f"@ IN NS ns.{zone}.\n"
        f"ns IN A 127.0.0.1\n"
    )
    conf = directory / "named.conf"
    conf.write_text(
        f"""
options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    managed-keys-directory "{directory}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ }};
key "{key_name}" {{ algorithm {algorithm}; secret "{secret}"; }};
zone "{zone}" {{
    type primary;
    file "{directory}/{zone}.zone";
    update-policy {{ grant {key_name} zonesub ANY; }};
}};
"""
    )
    return conf


def start_bind(directory: Path, zone: str = "example.test", timeout: float = 20.0) -> Bind:
    named = need_named()
    port = _free_port()
    key_name, algorithm = "lookout-test-key", "hmac-sha256"
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    conf = _write_config(directory, port, zone, key_name, algorithm, secret)
    log = (directory / "named.log").open("wb")
    args = [named, "-g", "-c", str(conf), "-n", "1"]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    bind = Bind("127.0.0.1", port, zone, key_name, algorithm, secret, directory, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"named exited: {(directory / 'named.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return bind
        except OSError:
            time.sleep(0.05)
    bind.stop()
    raise RuntimeError(f"named did not start: {(directory / 'named.log').read_text()[-2000:]}")
