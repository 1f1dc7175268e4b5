"""A throwaway certificate authority (trustme) and server contexts signed by it.

trustme makes well-formed chains; `issue` and `resign_with_sha1` make the odd certificates
trustme cannot (expired intermediates, self-signed leaves, SHA-1 signatures), and
`serve_tls` serves any chain on a loopback port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def write_ca(ca: trustme.CA, directory: Path) -> str:
    path = directory / "lookout-test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def write_certificates(certificates: Sequence[x509.Certificate], path: Path) -> str:
    path.write_bytes(b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates))
    return str(path)


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True)
class Issued:
    cert: x509.Certificate
    key: PrivateKey


def issue(
    common_name: str,
    *names: str,
    issuer: Issued | None = None,
    ca: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    rsa_key: bool = False,
    usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.SERVER_AUTH,
) -> Issued:
    """A certificate for `names` (DNS names or IP addresses) signed by `issuer`, or by itself.

    Valid from yesterday for a year unless told otherwise.
    """
    key: PrivateKey = (
        rsa.generate_private_key(65537, 2048) if rsa_key else ec.generate_private_key(ec.SECP256R1())
    )
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    signing_key = issuer.key if issuer else key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), False)
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")  # the DER of OID 1.2.840.113549.1.1.11
_SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")  # 1.2.840.113549.1.1.5, the same length


def resign_with_sha1(cert: x509.Certificate, issuer: Issued) -> x509.Certificate:
    """`cert` signed again with SHA-1 by `issuer` (an RSA key), which cryptography no longer
    does itself: swap the algorithm's OID (same length, so no DER length changes) and the
    signature (an RSA signature is always as long as the modulus)."""
    assert isinstance(issuer.key, rsa.RSAPrivateKey)
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(_SHA256_WITH_RSA) == 2  # in the signed part and before the signature
    patched_tbs = cert.tbs_certificate_bytes.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA)
    signature = issuer.key.sign(patched_tbs, padding.PKCS1v15(), hashes.SHA1())
    assert len(signature) == len(cert.signature)
    patched = der.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA)
    return x509.load_der_x509_certificate(patched[: -len(signature)] + signature)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def chain_context(leaf: Issued, *intermediates: x509.Certificate) -> ssl.SSLContext:
    """A server context presenting `leaf` and then `intermediates`, in that order."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the server load SHA-1 and other weak certificates
    load_chain(context, leaf, *intermediates)
    return context


def load_chain(context: ssl.SSLContext, leaf: Issued, *intermediates: x509.Certificate) -> None:
    """Make `context` present `leaf` and `intermediates` from its next handshake on: a server
    running with it changes its certificate without a restart."""
    with tempfile.TemporaryDirectory() as directory:
        cert_path = write_certificates([leaf.cert, *intermediates], Path(directory) / "chain.pem")
        key_path = Path(directory) / "key.pem"
        key_path.write_bytes(
            leaf.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context.load_cert_chain(cert_path, str(key_path))


@dataclass(slots=True)
class Listener:
    port: int
    accepted: int = 0
    """Connections accepted (after the handshake, for a TLS server)."""
    client_left: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a client closes its connection."""
    server_names: list[str | None] = field(default_factory=list)
    """The SNI each handshake carried (None for none)."""


@asynccontextmanager
async def serve_tls(context: ssl.SSLContext | None, host: str = "127.0.0.1") -> AsyncIterator[Listener]:
    """A loopback server that completes the handshake with `context` and then waits for the
    client to leave. With None it accepts TCP and never says a word (a hung server)."""
    listener = Listener(port=0)

    def record_name(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        listener.server_names.append(name)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener.accepted += 1
        try:
            while await reader.read(4096):
                pass
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            listener.client_left.set()
            writer.close()

    if context is not None:
        context.sni_callback = record_name
    server = await asyncio.start_server(handle, host, 0, ssl=context)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await server.wait_closed()


@asynccontextmanager
async def serve_reply(reply: bytes) -> AsyncIterator[int]:
    """A loopback server that answers any connection with `reply` and hangs up; yields the port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@contextmanager
def serve_tls_in_thread(context: ssl.SSLContext) -> Iterator[Listener]:
    """`serve_tls` on its own event loop in a thread, for tests whose Lookout runs elsewhere
    (an app under TestClient)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    running: list[Listener] = []

    async def main() -> None:
        async with serve_tls(context) as listener:
            running.append(listener)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(5):
        raise RuntimeError("the TLS server did not start")
    try:
        yield running[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()
