from typing import Any

from lookout.checks.base import CheckContext, Target
from lookout.checks.registry import CHECKS
from lookout.model.check_settings import TcpUptimeSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from tests.servers.tcp import closed_port, serve_tcp


async def run(url: str, ctx: CheckContext, **settings: Any) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.TCP, url=url)
    return await CHECKS[CheckType.UPTIME].run(target, TcpUptimeSettings(**settings), ctx)


async def test_connect_only(ctx: CheckContext) -> None:
    async with serve_tcp() as port:
        result = await run(f"127.0.0.1:{port}", ctx)
    assert (result.outcome, result.summary) == (Outcome.SUCCEEDED, "Up")
    assert result.timings.connect_ms is not None
    assert result.timings.total_ms is not None and result.timings.total_ms >= result.timings.connect_ms
    assert result.details == {"port": port}


async def test_welcome_message_and_reply(ctx: CheckContext) -> None:
    async with serve_tcp(greet_after_s=0.05) as port:
        result = await run(
            f"localhost:{port}",
            ctx,
            look_for_string_in_welcome_message="ESMTP",
            tcp_send_string="EHLO lookout\r\n",
            look_for_string_in_send_string_response="250 got EHLO",
        )
    assert result.summary == "Up"


async def test_missing_welcome_string(ctx: CheckContext) -> None:
    async with serve_tcp(banner=b"220 FTP ready\r\n") as port:
        result = await run(
            f"127.0.0.1:{port}", ctx, look_for_string_in_welcome_message="SMTP", timeout_in_ms=300
        )
    assert (result.outcome, result.summary) == (Outcome.FAILED, "Down: 'SMTP' not in the welcome message")


async def test_missing_reply_string(ctx: CheckContext) -> None:
    async with serve_tcp() as port:
        result = await run(
            f"127.0.0.1:{port}",
            ctx,
            tcp_send_string="PING\n",
            look_for_string_in_send_string_response="PONG",
            timeout_in_ms=300,
        )
    assert result.summary == "Down: 'PONG' not in the response to the sent string"


async def test_refused(ctx: CheckContext) -> None:
    result = await run(f"127.0.0.1:{closed_port()}", ctx)
    assert (result.outcome, result.summary) == (Outcome.FAILED, "Down: connection refused")


async def test_timed_out_connecting(ctx: CheckContext, monkeypatch: Any) -> None:
    # A SYN to a non-routed test address is never answered on loopback-only hosts; make it
    # deterministic by having the connect hang.
    import asyncio

    from lookout.net import tcp

    async def hang(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(tcp.asyncio, "open_connection", hang)
    result = await run("127.0.0.1:9", ctx, timeout_in_ms=100)
    assert result.summary == "Down: timed out connecting after 100 ms"


async def test_unresolvable_host(ctx: CheckContext) -> None:
    result = await run("nope.test:25", ctx)
    assert result.summary == "Down: could not resolve nope.test (no such domain)"
