import asyncio
import json

import pytest

from lookout.net.guard import TargetGuard
from lookout.net.http import ErrorKind, HttpClient, HttpRequest, TransportError
from tests.servers.fixtures import SITE
from tests.servers.http import RunningServer, serve_http
from tests.servers.tcp import closed_port


async def test_get_reports_status_headers_body_and_timings(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    response = await http_client.fetch(HttpRequest(http_server.url("/headers")))
    assert response.status == 200
    assert response.headers["x-foo"] == "a"
    assert response.headers["X-COUNT"] == "42"
    assert response.text == "headers"
    assert response.final_url == http_server.url("/headers")
    assert response.redirect_count == 0
    timings = response.timings
    assert timings.dns_ms is None  # an IP literal is not looked up
    assert timings.connect_ms is not None and timings.connect_ms >= 0
    assert timings.tls_ms is None
    assert timings.first_byte_ms is not None and timings.download_ms is not None
    assert timings.total_ms is not None and timings.total_ms >= timings.first_byte_ms


async def test_post_sends_the_form_and_headers(http_client: HttpClient, http_server: RunningServer) -> None:
    request = HttpRequest(
        http_server.url("/echo"),
        method="POST",
        headers=[("X-Api-Key", "secret")],
        form=[("name", "lookout"), ("q", "a b&c")],
    )
    echo = json.loads((await http_client.fetch(request)).text)
    assert echo["method"] == "POST"
    assert echo["headers"]["X-Api-Key"] == "secret"
    assert echo["form"] == {"name": "lookout", "q": "a b&c"}


async def test_head_has_no_body(http_client: HttpClient, http_server: RunningServer) -> None:
    response = await http_client.fetch(HttpRequest(http_server.url("/ok"), method="HEAD"))
    assert response.status == 200
    assert response.body == b""


async def test_redirects_are_followed_and_counted(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    response = await http_client.fetch(HttpRequest(http_server.url("/redirect/3"), max_redirects=5))
    assert (response.status, response.redirect_count) == (200, 4)
    assert response.final_url == http_server.url("/ok")


async def test_more_redirects_than_allowed_fail(http_client: HttpClient, http_server: RunningServer) -> None:
    with pytest.raises(TransportError) as caught:
        await http_client.fetch(HttpRequest(http_server.url("/loop"), max_redirects=3))
    assert caught.value.kind is ErrorKind.REDIRECTS
    assert caught.value.message == "too many redirects (more than 3)"
    assert caught.value.redirect_count == 3


async def test_zero_redirects_returns_the_redirect_itself(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    response = await http_client.fetch(HttpRequest(http_server.url("/loop"), max_redirects=0))
    assert response.status == 302
    assert response.headers["location"] == "/loop"


async def test_redirect_to_another_host_is_resolved_and_guarded(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    elsewhere = http_server.url("/ok", host=SITE)
    response = await http_client.fetch(HttpRequest(http_server.url(f"/to?url={elsewhere}"), max_redirects=2))
    assert response.final_url == elsewhere
    assert response.timings.dns_ms is not None

    metadata = http_server.url("/to?url=http://169.254.169.254/latest/meta-data/")
    with pytest.raises(TransportError) as caught:
        await http_client.fetch(HttpRequest(metadata, max_redirects=2))
    assert caught.value.kind is ErrorKind.BLOCKED
    assert caught.value.message == "target refused: 169.254.169.254 is a cloud metadata address"


async def test_connect_ip_keeps_the_host_header_and_skips_dns(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    url = f"http://unknown.test:{http_server.port}/echo"  # not in the test DNS
    response = await http_client.fetch(HttpRequest(url, connect_ip="127.0.0.1"))
    assert json.loads(response.text)["headers"]["Host"] == f"unknown.test:{http_server.port}"
    assert response.remote_ip == "127.0.0.1"


async def test_timeout_is_reported_as_such(http_client: HttpClient, http_server: RunningServer) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TransportError) as caught:
        await http_client.fetch(HttpRequest(http_server.url("/hang"), timeout_s=0.3))
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert caught.value.message == "timed out after 0.3 s"
    assert loop.time() - started < 2


async def test_refused_connection(http_client: HttpClient) -> None:
    with pytest.raises(TransportError) as caught:
        await http_client.fetch(HttpRequest(f"http://127.0.0.1:{closed_port()}/"))
    assert (caught.value.kind, caught.value.message) == (ErrorKind.REFUSED, "connection refused")


async def test_unknown_host_is_a_dns_error(http_client: HttpClient) -> None:
    with pytest.raises(TransportError) as caught:
        await http_client.fetch(HttpRequest("http://nope.test/"))
    assert caught.value.kind is ErrorKind.DNS
    assert caught.value.message == "could not resolve nope.test (no such domain)"


async def test_body_is_capped(http_client: HttpClient, http_server: RunningServer) -> None:
    response = await http_client.fetch(HttpRequest(http_server.url("/big?kib=3072"), body_limit=1 << 20))
    assert response.status == 200
    assert response.truncated
    assert len(response.body) == 1 << 20
    assert b"TAIL" not in response.body


async def test_https_with_trusted_ca_and_sni(http_client: HttpClient, https_server: RunningServer) -> None:
    response = await http_client.fetch(HttpRequest(https_server.url("/ok", host=SITE)))
    assert response.status == 200
    assert response.timings.tls_ms is not None and response.timings.tls_ms > 0
    via_ip = f"https://{SITE}:{https_server.port}/ok"
    assert (await http_client.fetch(HttpRequest(via_ip, connect_ip="127.0.0.1"))).status == 200


async def test_certificate_for_another_host_fails(
    http_client: HttpClient, https_server: RunningServer
) -> None:
    with pytest.raises(TransportError) as caught:
        await http_client.fetch(HttpRequest(https_server.url("/ok", host="localhost")))
    assert caught.value.kind is ErrorKind.TLS
    assert caught.value.message.startswith("certificate problem: ")
    assert "localhost" in caught.value.message


async def test_certificate_from_an_unknown_ca_fails(guard: TargetGuard, https_server: RunningServer) -> None:
    with pytest.raises(TransportError) as caught:
        await HttpClient(guard).fetch(HttpRequest(https_server.url("/ok", host=SITE)))
    assert caught.value.kind is ErrorKind.TLS
    assert caught.value.message.startswith("certificate problem: ")


async def test_ipv6_loopback(http_client: HttpClient) -> None:
    async with serve_http(host="::1") as server:
        assert (await http_client.fetch(HttpRequest(server.url("/ok")))).remote_ip == "::1"
        # dual.test is 127.0.0.1 then ::1: the refused IPv4 address falls through to IPv6.
        response = await http_client.fetch(HttpRequest(f"http://dual.test:{server.port}/ok"))
        assert (response.status, response.remote_ip) == (200, "::1")


async def test_cancelled_fetch_leaves_the_driver_usable(
    http_server: RunningServer, guard: TargetGuard
) -> None:
    client = HttpClient(guard)
    task = asyncio.create_task(client.fetch(HttpRequest(http_server.url("/hang"), timeout_s=10)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await client.fetch(HttpRequest(http_server.url("/ok")))).status == 200


async def test_many_concurrent_fetches_share_one_driver(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    requests = [HttpRequest(http_server.url(f"/slow?ms={20 + i % 5}")) for i in range(40)]
    responses = await asyncio.gather(*(http_client.fetch(r) for r in requests))
    assert [r.status for r in responses] == [200] * 40


BIG_BODY = b"a" * (3072 * 1024) + b"TAIL"  # what /big?kib=3072 serves


class Collector:
    """An on_chunk that keeps what it is handed and stops once it holds `stop_after` bytes."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.chunks: list[bytes] = []
        self.stop_after = stop_after

    def __call__(self, chunk: bytes) -> bool:
        self.chunks.append(chunk)
        return self.stop_after is None or self.received < self.stop_after

    @property
    def received(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)


async def test_a_per_call_body_limit_below_the_default_is_honoured(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    response = await http_client.fetch(HttpRequest(http_server.url("/big?kib=64"), body_limit=10_000))
    assert (len(response.body), response.truncated) == (10_000, True)
    assert response.body == b"a" * 10_000


async def test_streaming_hands_over_every_chunk_of_a_large_body(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    collect = Collector()
    request = HttpRequest(http_server.url("/big?kib=3072"), body_limit=8 << 20, on_chunk=collect)
    response = await http_client.fetch(request)
    assert (response.status, response.body, response.truncated) == (200, b"", False)
    assert len(collect.chunks) > 1
    assert b"".join(collect.chunks) == BIG_BODY


async def test_streaming_stops_when_on_chunk_returns_false(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    collect = Collector(stop_after=100_000)
    request = HttpRequest(http_server.url("/big?kib=3072"), body_limit=8 << 20, on_chunk=collect)
    response = await http_client.fetch(request)
    assert (response.status, response.body, response.truncated) == (200, b"", True)
    # No chunk is handed over after the one that said stop.
    assert collect.received - len(collect.chunks[-1]) < 100_000 <= collect.received < len(BIG_BODY)

    once = Collector(stop_after=1)
    response = await http_client.fetch(HttpRequest(http_server.url("/big?kib=3072"), on_chunk=once))
    assert response.truncated
    assert len(once.chunks) == 1


@pytest.mark.parametrize("streamed", [False, True], ids=["buffered", "streamed"])
async def test_body_limit_caps_what_is_kept_or_handed_over(
    http_client: HttpClient, http_server: RunningServer, streamed: bool
) -> None:
    async def fetch(path: str, limit: int) -> tuple[bytes, bool]:
        collect = Collector()
        on_chunk = collect if streamed else None
        response = await http_client.fetch(
            HttpRequest(http_server.url(path), body_limit=limit, on_chunk=on_chunk)
        )
        if streamed:
            assert response.body == b""
            return b"".join(collect.chunks), response.truncated
        return response.body, response.truncated

    assert await fetch("/big?kib=3072", 100_000) == (b"a" * 100_000, True)
    # A body of exactly the limit is whole, not truncated.
    assert await fetch("/big?kib=1", 1028) == (b"a" * 1024 + b"TAIL", False)
    assert await fetch("/big?kib=1", 1027) == (b"a" * 1024 + b"TAI", True)


async def test_streaming_skips_the_bodies_of_redirects_it_follows(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    followed = Collector()
    request = HttpRequest(http_server.url("/redirect/2"), max_redirects=3, on_chunk=followed)
    response = await http_client.fetch(request)
    assert (response.status, response.redirect_count) == (200, 3)
    assert followed.chunks == [b"Welcome to Lookout"]

    kept = Collector()
    response = await http_client.fetch(HttpRequest(http_server.url("/loop"), on_chunk=kept))
    assert response.status == 302
    assert b"".join(kept.chunks) == b"302: Found"


async def test_an_exception_in_on_chunk_propagates(
    http_client: HttpClient, http_server: RunningServer
) -> None:
    def explode(chunk: bytes) -> bool:
        raise RuntimeError("on_chunk broke")

    with pytest.raises(RuntimeError, match="on_chunk broke"):
        await http_client.fetch(HttpRequest(http_server.url("/big?kib=64"), on_chunk=explode))
    assert (await http_client.fetch(HttpRequest(http_server.url("/ok")))).status == 200
