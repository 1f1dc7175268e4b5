import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from lookout.net import tls
from lookout.net.guard import PRIVATE_HINT, TargetGuard
from lookout.net.resolve import Resolver
from lookout.net.tls import TlsError, TlsErrorKind, TlsInspection, TlsInspector
from tests.servers.fixtures import SITE
from tests.servers.http import RunningServer
from tests.servers.tcp import closed_port
from tests.servers.tls import (
    Issued,
    chain_context,
    issue,
    resign_with_sha1,
    serve_reply,
    serve_tls,
    write_certificates,
)


@dataclass(frozen=True, slots=True)
class Pki:
    """A root (trusted through `ca_file`) and an intermediate under it, made with cryptography."""

    root: Issued
    intermediate: Issued
    ca_file: str

    def leaf(
        self, *names: str, not_before: datetime | None = None, not_after: datetime | None = None
    ) -> Issued:
        return issue("leaf", *names, issuer=self.intermediate, not_before=not_before, not_after=not_after)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = issue("Lookout Test Root", ca=True, rsa_key=True)
    intermediate = issue("Lookout Test Intermediate", issuer=root, ca=True, rsa_key=True)
    ca_file = write_certificates([root.cert], tmp_path_factory.mktemp("pki") / "root.pem")
    return Pki(root, intermediate, ca_file)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


async def inspect_chain(
    guard: TargetGuard,
    ca_file: str | None,
    leaf: Issued,
    *intermediates: x509.Certificate,
    host: str = SITE,
    connect_ip: str | None = None,
) -> TlsInspection:
    async with serve_tls(chain_context(leaf, *intermediates)) as server:
        return await TlsInspector(guard, ca_file=ca_file).inspect(host, server.port, connect_ip=connect_ip)


# --- what a good server presents ---------------------------------------------------------------


async def test_a_good_chain_with_an_intermediate_verifies_through_the_ca_file(
    guard: TargetGuard, test_ca: trustme.CA, ca_file: str
) -> None:
    intermediate = test_ca.create_child_ca()
    leaf = intermediate.issue_cert(SITE)
    context = trustme_context(leaf)
    async with serve_tls(context) as server:
        inspection = await TlsInspector(guard, ca_file=ca_file).inspect(SITE, server.port)
        async with asyncio.timeout(2):
            await server.client_left.wait()  # the inspector hung up
    assert inspection.verified, inspection.verify_error
    assert inspection.verify_error is None
    assert (inspection.host, inspection.address, inspection.port) == (SITE, "127.0.0.1", server.port)
    assert inspection.protocol == "TLSv1.3"
    assert inspection.cipher
    assert inspection.connect_ms >= 0 and inspection.tls_ms > 0
    assert server.server_names == [SITE]


async def test_the_chain_is_as_presented_leaf_first(guard: TargetGuard, test_ca: trustme.CA) -> None:
    intermediate = test_ca.create_child_ca()
    leaf = intermediate.issue_cert(SITE)
    async with serve_tls(trustme_context(leaf)) as server:
        inspection = await TlsInspector(guard).inspect(SITE, server.port)
    presented = [x509.load_pem_x509_certificate(blob.bytes()) for blob in leaf.cert_chain_pems]
    assert len(presented) == 2
    assert [der(cert) for cert in inspection.chain] == [der(cert) for cert in presented]
    assert inspection.chain[0].issuer == inspection.chain[1].subject


async def test_our_own_pki_verifies_with_ip_and_name_subjects(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf(SITE, "127.0.0.1")
    by_name = await inspect_chain(guard, pki.ca_file, leaf, pki.intermediate.cert)
    assert by_name.verified, by_name.verify_error
    async with serve_tls(chain_context(leaf, pki.intermediate.cert)) as server:
        by_ip = await TlsInspector(guard, ca_file=pki.ca_file).inspect("127.0.0.1", server.port)
    assert by_ip.verified, by_ip.verify_error
    assert by_ip.host == "127.0.0.1"
    assert server.server_names == [None]  # no SNI for an IP address


async def test_a_wildcard_names_one_label(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf("*.site.test")
    good = await inspect_chain(
        guard, pki.ca_file, leaf, pki.intermediate.cert, host="www.site.test", connect_ip="127.0.0.1"
    )
    assert good.verified, good.verify_error
    bad = await inspect_chain(
        guard, pki.ca_file, leaf, pki.intermediate.cert, host="a.b.site.test", connect_ip="127.0.0.1"
    )
    assert not bad.verified
    assert bad.verify_error == "hostname mismatch (the certificate is for *.site.test)"
    # The name matches, so an untrusted wildcard is reported for its issuer, not its name.
    untrusted = await inspect_chain(
        guard, None, leaf, pki.intermediate.cert, host="www.site.test", connect_ip="127.0.0.1"
    )
    assert untrusted.verify_error == "unknown issuer (the chain is incomplete or its root is not trusted)"


async def test_connect_ip_dials_that_address_and_verifies_the_host_name(guard: TargetGuard, pki: Pki) -> None:
    # not.in.dns.test has no records, so it can only work if the name is never resolved.
    leaf = pki.leaf("not.in.dns.test")
    async with serve_tls(chain_context(leaf, pki.intermediate.cert)) as server:
        inspection = await TlsInspector(guard, ca_file=pki.ca_file).inspect(
            "Not.In.DNS.test.", server.port, connect_ip="127.0.0.1"
        )
    assert inspection.verified, inspection.verify_error
    assert (inspection.host, inspection.address) == ("not.in.dns.test", "127.0.0.1")
    assert server.server_names == ["not.in.dns.test"]


async def test_an_international_name_is_sent_and_verified_in_idna(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf("xn--bcher-kva.test")
    inspection = await inspect_chain(
        guard, pki.ca_file, leaf, pki.intermediate.cert, host="Bücher.test", connect_ip="127.0.0.1"
    )
    assert inspection.host == "xn--bcher-kva.test"
    assert inspection.verified, inspection.verify_error


@pytest.mark.parametrize("host", ["", "  ", ".leading.dot"])
async def test_what_is_not_a_host_name(guard: TargetGuard, host: str) -> None:
    with pytest.raises(TlsError) as caught:
        await TlsInspector(guard).inspect(host, connect_ip="127.0.0.1")
    assert caught.value.kind is TlsErrorKind.DNS


async def test_a_refused_address_falls_through_to_the_next(guard: TargetGuard, pki: Pki) -> None:
    # dual.test is 127.0.0.1 then ::1; only ::1 listens.
    leaf = pki.leaf("dual.test")
    async with serve_tls(chain_context(leaf, pki.intermediate.cert), host="::1") as server:
        inspection = await TlsInspector(guard, ca_file=pki.ca_file).inspect("dual.test", server.port)
    assert inspection.address == "::1"
    assert inspection.verified, inspection.verify_error


async def test_trusted_roots_are_read_once_per_inspector(
    guard: TargetGuard, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[str | None] = []
    real_load = tls._load_roots

    def counting_load(ca_file: str | None) -> object:
        loads.append(ca_file)
        return real_load(ca_file)

    monkeypatch.setattr(tls, "_load_roots", counting_load)
    inspector = TlsInspector(guard, ca_file=pki.ca_file)
    async with serve_tls(chain_context(pki.leaf(SITE), pki.intermediate.cert)) as server:
        for _ in range(3):
            assert (await inspector.inspect(SITE, server.port)).verified
    assert loads == [pki.ca_file]


async def test_system_roots_are_trusted(
    guard: TargetGuard, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenSSL's own variable points the system roots at our root for this test.
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca_file)
    inspection = await inspect_chain(guard, None, pki.leaf(SITE), pki.intermediate.cert)
    assert inspection.verified, inspection.verify_error


# --- certificates a person must hear about ---------------------------------------------------


async def test_an_expired_leaf_is_read_and_reported(guard: TargetGuard, pki: Pki) -> None:
    now = datetime.now(UTC)
    leaf = pki.leaf(SITE, not_before=now - timedelta(days=90), not_after=now - timedelta(days=2))
    inspection = await inspect_chain(guard, pki.ca_file, leaf, pki.intermediate.cert)
    assert not inspection.verified
    assert inspection.verify_error == "certificate has expired"
    assert der(inspection.chain[0]) == der(leaf.cert)
    assert inspection.chain[0].not_valid_after_utc < now


async def test_a_leaf_not_yet_valid(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf(SITE, not_before=datetime.now(UTC) + timedelta(days=3))
    inspection = await inspect_chain(guard, pki.ca_file, leaf, pki.intermediate.cert)
    assert (inspection.verified, inspection.verify_error) == (False, "certificate is not yet valid")


async def test_a_certificate_for_another_name(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf("elsewhere.test", "127.0.0.2")
    inspection = await inspect_chain(guard, pki.ca_file, leaf, pki.intermediate.cert)
    assert not inspection.verified
    assert inspection.verify_error == "hostname mismatch (the certificate is for elsewhere.test, 127.0.0.2)"


async def test_a_trustme_certificate_for_another_name(
    guard: TargetGuard, test_ca: trustme.CA, ca_file: str
) -> None:
    async with serve_tls(trustme_context(test_ca.issue_cert("elsewhere.test"))) as server:
        inspection = await TlsInspector(guard, ca_file=ca_file).inspect(SITE, server.port)
    assert not inspection.verified
    assert inspection.verify_error is not None
    assert inspection.verify_error.startswith("hostname mismatch")


async def test_a_self_signed_certificate(guard: TargetGuard, pki: Pki) -> None:
    inspection = await inspect_chain(guard, pki.ca_file, issue("self", SITE))
    assert (inspection.verified, inspection.verify_error) == (False, "self-signed certificate")
    assert len(inspection.chain) == 1


async def test_an_untrusted_root_without_the_ca_file(guard: TargetGuard, test_ca: trustme.CA) -> None:
    leaf = test_ca.create_child_ca().issue_cert(SITE)
    async with serve_tls(trustme_context(leaf)) as server:
        inspection = await TlsInspector(guard).inspect(SITE, server.port)
    assert not inspection.verified
    assert inspection.verify_error == "unknown issuer (the chain is incomplete or its root is not trusted)"
    assert len(inspection.chain) == 2


async def test_an_untrusted_root_sent_in_the_chain(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf(SITE)
    inspection = await inspect_chain(guard, None, leaf, pki.intermediate.cert, pki.root.cert)
    assert not inspection.verified
    assert inspection.verify_error == "self-signed certificate in the chain (its root is not trusted)"
    assert len(inspection.chain) == 3


async def test_a_trusted_root_sent_in_the_chain_is_fine(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf(SITE)
    inspection = await inspect_chain(guard, pki.ca_file, leaf, pki.intermediate.cert, pki.root.cert)
    assert inspection.verified, inspection.verify_error


async def test_a_missing_intermediate(guard: TargetGuard, pki: Pki) -> None:
    inspection = await inspect_chain(guard, pki.ca_file, pki.leaf(SITE))
    assert not inspection.verified
    assert inspection.verify_error == "unknown issuer (the chain is incomplete or its root is not trusted)"


async def test_an_expired_intermediate(guard: TargetGuard, pki: Pki) -> None:
    now = datetime.now(UTC)
    intermediate = issue(
        "Old Intermediate",
        issuer=pki.root,
        ca=True,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=1),
    )
    leaf = issue("leaf", SITE, issuer=intermediate)
    inspection = await inspect_chain(guard, pki.ca_file, leaf, intermediate.cert)
    assert (inspection.verified, inspection.verify_error) == (
        False,
        "an intermediate certificate has expired",
    )


async def test_a_sha1_signed_leaf(guard: TargetGuard, pki: Pki) -> None:
    leaf = pki.leaf(SITE)
    sha1_leaf = Issued(resign_with_sha1(leaf.cert, pki.intermediate), leaf.key)
    assert sha1_leaf.cert.signature_hash_algorithm is not None
    assert sha1_leaf.cert.signature_hash_algorithm.name == "sha1"
    inspection = await inspect_chain(guard, pki.ca_file, sha1_leaf, pki.intermediate.cert)
    assert not inspection.verified
    assert inspection.verify_error == "certificate is signed with SHA-1, which is no longer trusted"


async def test_a_certificate_that_names_no_host(guard: TargetGuard, pki: Pki) -> None:
    # A CA certificate served as a leaf: no subjectAltName to match.
    inspection = await inspect_chain(guard, pki.ca_file, pki.intermediate)
    assert not inspection.verified
    assert inspection.verify_error == "hostname mismatch (the certificate names no host)"


async def test_a_certificate_for_clients_only(guard: TargetGuard, pki: Pki) -> None:
    leaf = issue("client", SITE, issuer=pki.intermediate, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    inspection = await inspect_chain(guard, pki.ca_file, leaf, pki.intermediate.cert)
    assert not inspection.verified
    assert inspection.verify_error == "certificate is not for TLS servers (its extended key usage)"


# --- no certificate to inspect -----------------------------------------------------------------


async def test_a_refused_port(guard: TargetGuard) -> None:
    with pytest.raises(TlsError) as caught:
        await TlsInspector(guard).inspect("127.0.0.1", closed_port())
    assert caught.value.kind is TlsErrorKind.REFUSED
    assert caught.value.message == "connection refused"


async def test_a_server_that_never_answers_times_out_within_the_bound(guard: TargetGuard) -> None:
    async with serve_tls(None) as server:
        started = time.perf_counter()
        with pytest.raises(TlsError) as caught:
            await TlsInspector(guard, timeout_s=30).inspect(SITE, server.port, timeout_s=0.5)
        elapsed = time.perf_counter() - started
        assert server.accepted == 1
        async with asyncio.timeout(2):
            await server.client_left.wait()  # the inspector hung up
    assert caught.value.kind is TlsErrorKind.TIMEOUT
    assert caught.value.message == "timed out waiting for the TLS handshake after 0.5 s"
    assert 0.5 <= elapsed < 1.5


async def test_the_inspector_timeout_is_the_default(guard: TargetGuard) -> None:
    async with serve_tls(None) as server:
        with pytest.raises(TlsError) as caught:
            await TlsInspector(guard, timeout_s=0.3).inspect(SITE, server.port)
    assert caught.value.kind is TlsErrorKind.TIMEOUT


async def test_a_plain_http_server_fails_the_handshake(
    guard: TargetGuard, http_server: RunningServer
) -> None:
    with pytest.raises(TlsError) as caught:
        await TlsInspector(guard, timeout_s=5).inspect(SITE, http_server.port)
    assert caught.value.kind is TlsErrorKind.HANDSHAKE
    assert caught.value.message == f"TLS handshake failed: {NOT_TLS}"


NOT_TLS = "the server did not answer with TLS (is this port speaking TLS?)"


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (b"", "the server closed the connection during the handshake"),
        (b"\x00garbage that is not TLS\r\n" * 20, NOT_TLS),
        (b"SSH-2.0-OpenSSH_9.6\r\n", NOT_TLS),
        (
            bytes.fromhex("15030300020228"),
            "the server refused the handshake (no cipher or protocol in common)",
        ),
    ],
    ids=["hang-up", "garbage", "ssh", "handshake-failure-alert"],
)
async def test_servers_that_do_not_speak_tls(guard: TargetGuard, reply: bytes, words: str) -> None:
    async with serve_reply(reply) as port:
        with pytest.raises(TlsError) as caught:
            await TlsInspector(guard, timeout_s=5).inspect(SITE, port)
    assert caught.value.kind is TlsErrorKind.HANDSHAKE
    assert caught.value.message == f"TLS handshake failed: {words}"


async def test_an_unknown_name_is_a_dns_error(guard: TargetGuard) -> None:
    with pytest.raises(TlsError) as caught:
        await TlsInspector(guard).inspect("nowhere.test")
    assert caught.value.kind is TlsErrorKind.DNS
    assert "nowhere.test" in caught.value.message


async def test_the_guard_refuses_before_any_socket_is_opened(resolver: Resolver) -> None:
    guard = TargetGuard(resolver, allow_private=False)
    async with serve_tls(None) as server:
        with pytest.MonkeyPatch.context() as patch:
            attempts: list[tuple[object, ...]] = []

            def refuse(*args: object, **kwargs: object) -> socket.socket:
                attempts.append(args)
                raise AssertionError("a socket was opened before the guard decided")

            patch.setattr(socket, "socket", refuse)
            with pytest.raises(TlsError) as caught:
                await TlsInspector(guard).inspect("127.0.0.1", server.port)
        await asyncio.sleep(0.05)
        assert (attempts, server.accepted) == ([], 0)
    assert caught.value.kind is TlsErrorKind.BLOCKED
    assert caught.value.message == "target refused: 127.0.0.1 is a loopback address" + PRIVATE_HINT


async def test_connect_ip_is_guarded_too(resolver: Resolver) -> None:
    guard = TargetGuard(resolver, allow_private=False)
    with pytest.raises(TlsError) as caught:
        await TlsInspector(guard).inspect("example.com", connect_ip="127.0.0.1")
    assert caught.value.kind is TlsErrorKind.BLOCKED


async def test_a_name_pointing_at_a_metadata_address_is_blocked(guard: TargetGuard) -> None:
    with pytest.raises(TlsError) as caught:
        await TlsInspector(guard).inspect("meta.test")
    assert caught.value.kind is TlsErrorKind.BLOCKED
    assert "metadata" in caught.value.message


def test_without_the_full_chain_the_leaf_alone_is_read() -> None:
    # Python versions without get_unverified_chain() in any form still give the leaf.
    class LeafOnly:
        def getpeercert(self, binary_form: bool = False) -> bytes:
            assert binary_form
            return b"leaf-der"

    assert tls._peer_chain(LeafOnly()) == [b"leaf-der"]  # type: ignore[arg-type]


# --- helpers -----------------------------------------------------------------------------------


def trustme_context(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    return context
