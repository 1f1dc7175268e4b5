"""Uptime of a TCP monitor: connect, optionally read a welcome message, send and read a reply.

`timeout_in_ms` bounds the whole conversation, connect included, so the runner's hard
timeout (derived from the same setting) never cuts a check short.
"""

from __future__ import annotations

import time

from lookout.checks.base import CheckContext, Target
from lookout.checks.results import down, finish
from lookout.checks.uptime.details import TcpUptimeDetails
from lookout.errors import LookoutError
from lookout.model.check_settings import TcpUptimeSettings
from lookout.model.monitor import split_host_port
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.net.guard import TargetRefused
from lookout.net.tcp import TcpConnection, TcpError


async def _connect(addresses: list[str], port: int, timeout_s: float) -> TcpConnection:
    for index, address in enumerate(addresses):
        try:
            return await TcpConnection.open(address, port, timeout_s)
        except TcpError as exc:
            if not exc.refused or index + 1 == len(addresses):
                raise
    raise AssertionError("the guard returned no address")


async def _converse(connection: TcpConnection, settings: TcpUptimeSettings, deadline: float) -> str | None:
    """The reason the conversation went wrong, or None."""
    welcome = settings.look_for_string_in_welcome_message
    if welcome:
        data = await connection.read_until(welcome.encode(), deadline - time.perf_counter())
        if welcome.encode() not in data:
            return f"'{welcome}' not in the welcome message"
    if settings.tcp_send_string:
        await connection.send(settings.tcp_send_string.encode())
        wanted = settings.look_for_string_in_send_string_response
        if wanted:
            data = await connection.read_until(wanted.encode(), deadline - time.perf_counter())
            if wanted.encode() not in data:
                return f"'{wanted}' not in the response to the sent string"
    return None


async def check_tcp(target: Target, settings: TcpUptimeSettings, ctx: CheckContext) -> CheckResult:
    started_at = ctx.clock()
    started = time.perf_counter()
    parts = split_host_port(target.url)
    if parts is None:
        return finish(ctx, started_at, Outcome.ERRORED, f"{target.url!r} is not host:port")
    host, port = parts
    try:
        addresses = await ctx.guard.check(target.connect_ip or host)
    except TargetRefused as exc:
        return down(ctx, started_at, f"target refused: {exc.reason}")
    except LookoutError as exc:  # ResolveError
        return down(ctx, started_at, str(exc))
    timeout_s = settings.timeout_in_ms / 1000
    try:
        connection = await _connect(addresses, port, timeout_s)
    except TcpError as exc:
        return down(ctx, started_at, exc.message, details={"port": port})
    async with connection:
        problem = await _converse(connection, settings, started + timeout_s)
    timings = Timings(
        connect_ms=round(connection.connect_ms, 3), total_ms=round((time.perf_counter() - started) * 1000, 3)
    )
    details: TcpUptimeDetails = {"port": port}
    if problem:
        return down(ctx, started_at, problem, timings=timings, details=details)
    return finish(ctx, started_at, Outcome.SUCCEEDED, "Up", timings=timings, details=details)
