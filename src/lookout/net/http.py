"""The HTTP client checks use: one request (plus redirects) with a timing breakdown.

Every request dials a fresh connection that is closed afterwards, so monitors never share
a connection or its TLS session. Redirects are followed here, not by libcurl, so each hop's
host passes the target guard before it is dialled (a redirect to a metadata address is
refused like the first URL would be). We resolve through our own resolver and tell libcurl
which address to dial with CONNECT_TO; the Host header and TLS SNI stay the URL's host.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import ipaddress
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from io import BytesIO
from urllib.parse import urlencode, urljoin, urlsplit

import pycurl  # type: ignore[import-untyped, unused-ignore]  # no stubs published

from lookout.model import http_fields
from lookout.model.result import Timings
from lookout.net.curl import CurlDriver, CurlFailure
from lookout.net.guard import TargetGuard, TargetRefused
from lookout.net.headers import Headers
from lookout.net.resolve import ResolveError

BODY_LIMIT = 1 << 20
USER_AGENT = "Lookout/0.1 (uptime monitor)"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


class ErrorKind(StrEnum):
    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    TLS = "tls"
    REDIRECTS = "redirects"
    BLOCKED = "blocked"
    OTHER = "other"


class TransportError(Exception):
    """No HTTP response: `message` says why in a person's words."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        url: str,
        timings: Timings | None = None,
        redirect_count: int = 0,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.url = url
        self.timings = timings or Timings()
        self.redirect_count = redirect_count


@dataclass(frozen=True, slots=True)
class HttpRequest:
    url: str
    method: str = "GET"
    headers: Sequence[tuple[str, str]] = ()
    form: Sequence[tuple[str, str]] = ()
    """Sent as an urlencoded body; ignored for GET and HEAD."""
    body: bytes | None = None
    """Sent as the body as it is when there is no form (a webhook's JSON); ignored for GET and HEAD."""
    timeout_s: float = 5.0
    """For the whole request, redirects included."""
    max_redirects: int = 0
    """0 returns a redirect response as it is; N > 0 follows up to N and then fails."""
    connect_ip: str | None = None
    """Dial this address for the URL's own host instead of resolving it."""
    body_limit: int = BODY_LIMIT
    """At most this many body bytes are kept (or handed to on_chunk); more sets truncated."""
    on_chunk: Callable[[bytes], bool] | None = None
    """Stream the body: each chunk is handed over as it arrives instead of being kept (the
    response's body is then b""). Returning False stops the download, which is not an error:
    the response comes back with truncated=True. An exception it raises stops the download
    and propagates out of fetch. Bodies of redirects being followed are not handed over."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Headers
    body: bytes
    final_url: str
    redirect_count: int
    timings: Timings
    truncated: bool = False
    remote_ip: str = ""

    @property
    def text(self) -> str:
        match = _CHARSET.search(self.headers.get("content-type", ""))
        encoding = "utf-8"
        if match:
            with contextlib.suppress(LookupError):
                encoding = codecs.lookup(match.group(1)).name
        return self.body.decode(encoding, errors="replace")


@dataclass(slots=True)
class _Hop:
    """One request/response exchange, without redirects."""

    status: int = 0
    header_lines: list[tuple[str, str]] = field(default_factory=list)
    body: BytesIO = field(default_factory=BytesIO)
    truncated: bool = False
    timings: Timings = field(default_factory=Timings)

    def on_header(self, raw: bytes) -> None:
        line = raw.decode("iso-8859-1").rstrip("\r\n")
        if line.startswith("HTTP/"):
            self.header_lines.clear()  # a 1xx interim response came first
        elif ":" in line:
            name, _, value = line.partition(":")
            self.header_lines.append((name.strip(), value.strip()))


@dataclass(slots=True)
class _Stream:
    """Hands one hop's body to the caller's on_chunk, at most `room` bytes of it."""

    on_chunk: Callable[[bytes], bool]
    room: int
    hop: _Hop
    follows_redirects: bool
    status: int = 0
    skip: bool | None = None
    """Whether this hop is a redirect we will follow, decided at its first body chunk."""
    error: Exception | None = None

    def on_header(self, raw: bytes) -> None:
        if raw.startswith(b"HTTP/"):
            parts = raw.split(None, 2)
            self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.hop.on_header(raw)

    def on_body(self, chunk: bytes) -> int | None:
        if self.skip is None:
            self.hop.status = self.status
            self.skip = self.follows_redirects and hop_location(self.hop) is not None
        if self.skip:
            return None
        stop = len(chunk) > self.room
        if stop:
            chunk = chunk[: self.room]
        self.room -= len(chunk)
        if chunk:
            try:
                stop = self.on_chunk(chunk) is False or stop
            except Exception as exc:  # pycurl would print it and report a write error
                self.error = exc
                return 0
        if stop:
            self.hop.truncated = True
            return 0
        return None


class HttpClient:
    """Fetches URLs for checks; cheap to build, so build one per check run."""

    def __init__(
        self,
        guard: TargetGuard,
        *,
        driver: CurlDriver | None = None,
        ca_file: str | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.guard = guard
        self._driver = driver
        self._ca_file = ca_file
        self._user_agent = user_agent

    async def fetch(self, request: HttpRequest) -> HttpResponse:
        """The final response; raises TransportError when there is none."""
        _refuse_broken_headers(request)
        started = time.perf_counter()
        deadline = started + request.timeout_s
        url, method, form = request.url, request.method.upper(), request.form
        first_host = urlsplit(url).hostname
        redirects = 0
        while True:
            connect_ip = request.connect_ip if urlsplit(url).hostname == first_host else None
            try:
                hop, remote_ip = await self._hop(url, method, form, request, deadline, connect_ip)
            except TransportError as exc:
                exc.redirect_count = redirects
                raise
            location = hop_location(hop)
            if location is None or request.max_redirects == 0:
                total_ms = (time.perf_counter() - started) * 1000
                return HttpResponse(
                    status=hop.status,
                    headers=Headers(hop.header_lines),
                    body=hop.body.getvalue(),
                    final_url=url,
                    redirect_count=redirects,
                    timings=_with_total(hop.timings, total_ms),
                    truncated=hop.truncated,
                    remote_ip=remote_ip,
                )
            if redirects == request.max_redirects:
                raise TransportError(
                    ErrorKind.REDIRECTS,
                    f"too many redirects (more than {request.max_redirects})",
                    url=url,
                    timings=hop.timings,
                    redirect_count=redirects,
                )
            redirects += 1
            url = urljoin(url, location).split("#", 1)[0]
            if urlsplit(url).scheme not in ("http", "https"):
                raise TransportError(
                    ErrorKind.OTHER,
                    f"redirected to an unsupported URL {url}",
                    url=url,
                    redirect_count=redirects,
                )
            if hop.status == 303 or (hop.status in (301, 302) and method == "POST"):
                method, form = ("HEAD" if method == "HEAD" else "GET"), ()

    async def _hop(
        self,
        url: str,
        method: str,
        form: Sequence[tuple[str, str]],
        request: HttpRequest,
        deadline: float,
        connect_ip: str | None,
    ) -> tuple[_Hop, str]:
        host = urlsplit(url).hostname or ""
        dns_started = time.perf_counter()
        try:
            addresses = await self.guard.check(connect_ip or host)
        except ResolveError as exc:
            raise TransportError(ErrorKind.DNS, str(exc), url=url) from None
        except TargetRefused as exc:
            raise TransportError(ErrorKind.BLOCKED, f"target refused: {exc.reason}", url=url) from None
        dns_ms = None if connect_ip or _is_ip(host) else round((time.perf_counter() - dns_started) * 1000, 3)
        # Try each address in turn while the server refuses, as a browser would.
        for index, address in enumerate(addresses):
            try:
                hop = await self._exchange(url, method, form, request, deadline, address)
            except TransportError as exc:
                if exc.kind is ErrorKind.REFUSED and index + 1 < len(addresses):
                    continue
                raise
            hop.timings = Timings(
                dns_ms=dns_ms,
                connect_ms=hop.timings.connect_ms,
                tls_ms=hop.timings.tls_ms,
                first_byte_ms=hop.timings.first_byte_ms,
                download_ms=hop.timings.download_ms,
                total_ms=hop.timings.total_ms,
            )
            return hop, address
        raise AssertionError("the guard returned no address")  # guard.check never does

    async def _exchange(
        self,
        url: str,
        method: str,
        form: Sequence[tuple[str, str]],
        request: HttpRequest,
        deadline: float,
        address: str,
    ) -> _Hop:
        remaining_ms = int((deadline - time.perf_counter()) * 1000)
        if remaining_ms <= 0:
            raise _timeout(request, url)
        hop = _Hop()
        stream = None
        if request.on_chunk is not None:
            stream = _Stream(request.on_chunk, request.body_limit, hop, request.max_redirects > 0)
        curl = self._easy(url, method, form, request, remaining_ms, address, hop, stream)
        try:
            failure = await self._driver_for_loop().perform(curl)
            if stream is not None and stream.error is not None:
                raise stream.error
            if failure is not None and not (hop.truncated and failure.code == pycurl.E_WRITE_ERROR):
                raise _transport_error(failure, curl, request, url)
            hop.status = int(curl.getinfo(pycurl.RESPONSE_CODE))
            hop.timings = _curl_timings(curl)
            return hop
        finally:
            curl.close()

    def _driver_for_loop(self) -> CurlDriver:
        if self._driver is None:
            self._driver = CurlDriver()
        return self._driver

    def _easy(
        self,
        url: str,
        method: str,
        form: Sequence[tuple[str, str]],
        request: HttpRequest,
        timeout_ms: int,
        address: str,
        hop: _Hop,
        stream: _Stream | None,
    ) -> pycurl.Curl:
        curl = pycurl.Curl()
        limit = request.body_limit

        def on_body(chunk: bytes) -> int | None:
            room = limit - hop.body.tell()
            if len(chunk) <= room:
                hop.body.write(chunk)
                return None
            hop.body.write(chunk[:room])
            hop.truncated = True
            return 0  # stop the download: we keep only what we search

        ip = f"[{address}]" if ":" in address else address
        options: list[tuple[int, object]] = [
            (pycurl.URL, url),
            (pycurl.CONNECT_TO, [f"::{ip}:"]),
            (pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS),
            (pycurl.FOLLOWLOCATION, 0),
            (pycurl.FRESH_CONNECT, 1),
            (pycurl.FORBID_REUSE, 1),
            (pycurl.NOSIGNAL, 1),
            (pycurl.PROXY, ""),  # the environment's proxy would see every check
            (pycurl.TIMEOUT_MS, timeout_ms),
            (pycurl.CONNECTTIMEOUT_MS, timeout_ms),
            (pycurl.SSL_VERIFYPEER, 1),
            (pycurl.SSL_VERIFYHOST, 2),
            (pycurl.ACCEPT_ENCODING, ""),
            (pycurl.USERAGENT, self._user_agent),
            # Bytes: pycurl refuses a str that is not ASCII, and UTF-8 is what clients send.
            (pycurl.HTTPHEADER, [f"{name}: {value}".encode() for name, value in request.headers]),
            (pycurl.HEADERFUNCTION, hop.on_header if stream is None else stream.on_header),
            (pycurl.WRITEFUNCTION, on_body if stream is None else stream.on_body),
        ]
        if self._ca_file:
            options.append((pycurl.CAINFO, self._ca_file))
        if method == "HEAD":
            options.append((pycurl.NOBODY, 1))
        elif method != "GET":
            options.append((pycurl.CUSTOMREQUEST, method))
            if form:
                options.append((pycurl.POSTFIELDS, urlencode(list(form))))
            elif request.body is not None:
                options.append((pycurl.POSTFIELDS, request.body))
        for option, value in options:
            curl.setopt(option, value)
        return curl


def _refuse_broken_headers(request: HttpRequest) -> None:
    """libcurl writes header lines as given, so a CR or LF would end the header (or the
    request) early: an injected header, or a second request smuggled onto the connection.
    We fail rather than drop it: a check run without a header the user asked for (a token,
    a Host) would report the wrong thing, and quietly."""
    for name, value in request.headers:
        if not http_fields.is_token(name):
            problem = f"{name!r} is not a valid header name"
        elif http_fields.has_control(value):
            problem = f"the value of header {name} holds a control character"
        else:
            continue
        raise TransportError(ErrorKind.OTHER, f"request not sent: {problem}", url=request.url)


def hop_location(hop: _Hop) -> str | None:
    if hop.status not in _REDIRECT_STATUSES:
        return None
    for name, value in hop.header_lines:
        if name.lower() == "location" and value:
            return value
    return None


@lru_cache(maxsize=65_536)
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _with_total(timings: Timings, total_ms: float) -> Timings:
    return Timings(
        dns_ms=timings.dns_ms,
        connect_ms=timings.connect_ms,
        tls_ms=timings.tls_ms,
        first_byte_ms=timings.first_byte_ms,
        download_ms=timings.download_ms,
        total_ms=round(total_ms, 3),
    )


def _curl_timings(curl: pycurl.Curl) -> Timings:
    """libcurl reports when each phase ended, in µs since the start; we want durations."""

    def at(info: int) -> float:
        return float(curl.getinfo(info)) / 1000

    lookup, connect = at(pycurl.NAMELOOKUP_TIME_T), at(pycurl.CONNECT_TIME_T)
    tls = at(pycurl.APPCONNECT_TIME_T)
    first_byte, total = at(pycurl.STARTTRANSFER_TIME_T), at(pycurl.TOTAL_TIME_T)
    ready = tls or connect
    return Timings(
        connect_ms=round(connect - lookup, 3) if connect else None,
        tls_ms=round(tls - connect, 3) if tls else None,
        first_byte_ms=round(first_byte - ready, 3) if first_byte else None,
        download_ms=round(total - first_byte, 3) if first_byte else None,
        total_ms=round(total, 3),
    )


_TLS_CODES = frozenset(
    {
        pycurl.E_SSL_CONNECT_ERROR,
        pycurl.E_PEER_FAILED_VERIFICATION,
        pycurl.E_SSL_CERTPROBLEM,
        pycurl.E_SSL_CACERT_BADFILE,
        pycurl.E_SSL_CIPHER,
        pycurl.E_SSL_ENGINE_NOTFOUND,
    }
)


def _timeout(request: HttpRequest, url: str) -> TransportError:
    return TransportError(ErrorKind.TIMEOUT, f"timed out after {request.timeout_s:g} s", url=url)


def _transport_error(
    failure: CurlFailure, curl: pycurl.Curl, request: HttpRequest, url: str
) -> TransportError:
    timings = _curl_timings(curl)
    if failure.code == pycurl.E_OPERATION_TIMEDOUT:
        error = _timeout(request, url)
        error.timings = timings
        return error
    if failure.code == pycurl.E_COULDNT_CONNECT:
        os_errno = int(curl.getinfo(pycurl.OS_ERRNO))
        reason = (
            "connection refused"
            if os_errno in (0, errno.ECONNREFUSED)
            else (f"could not connect: {os.strerror(os_errno).lower()}")
        )
        return TransportError(ErrorKind.REFUSED, reason, url=url, timings=timings)
    if failure.code == pycurl.E_COULDNT_RESOLVE_HOST:
        return TransportError(ErrorKind.DNS, failure.message, url=url, timings=timings)
    if failure.code == pycurl.E_PEER_FAILED_VERIFICATION:
        detail = re.sub(r"^SSL( certificate problem)?:\s*", "", failure.message)
        return TransportError(ErrorKind.TLS, f"certificate problem: {detail}", url=url, timings=timings)
    if failure.code in _TLS_CODES:
        return TransportError(
            ErrorKind.TLS, f"TLS handshake failed: {failure.message}", url=url, timings=timings
        )
    if failure.code == pycurl.E_GOT_NOTHING:
        return TransportError(
            ErrorKind.OTHER,
            "the server closed the connection without answering",
            url=url,
            timings=timings,
        )
    message = failure.message or f"curl error {failure.code}"
    return TransportError(ErrorKind.OTHER, message, url=url, timings=timings)
