"""LOOKOUT_CA_BUNDLE adds a private CA to the system's roots; it does not replace them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient, HttpRequest
from lookout.net.trust import system_bundle, trust_bundle
from tests.servers.fixtures import SITE
from tests.servers.http import RunningServer


def test_the_bundle_keeps_the_system_roots_and_adds_the_extra_ca(ca_file: str, tmp_path: Path) -> None:
    text = Path(trust_bundle(ca_file, tmp_path)).read_text()
    system = system_bundle()
    assert system is not None
    assert text.count("BEGIN CERTIFICATE") == system.read_text().count("BEGIN CERTIFICATE") + 1


async def test_libcurl_trusts_the_extra_ca_through_the_bundle(
    guard: TargetGuard, https_server: RunningServer, ca_file: str, tmp_path: Path
) -> None:
    bundle = trust_bundle(ca_file, tmp_path)
    response = await HttpClient(guard, ca_file=bundle).fetch(HttpRequest(https_server.url("/ok", host=SITE)))
    assert response.status == 200


def test_a_file_without_certificates_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ValueError, match="no PEM certificate"):
        trust_bundle(str(junk), tmp_path)
