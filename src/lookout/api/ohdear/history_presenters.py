"""Check runs, uptime, downtime and uptime metrics in the Oh Dear API's shapes."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from lookout.api.ohdear.timefmt import iso, stamp
from lookout.model.metrics import MetricPoint
from lookout.services.views import DowntimeRecord, RunRecord


def run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "check_id": run.check_id,
        "check_type": run.check_type,
        "result": run.result,
        "summary": run.summary,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
    }


def uptime_json(series: list[tuple[datetime, float]]) -> list[dict[str, Any]]:
    return [{"datetime": stamp(period), "uptime_percentage": percentage} for period, percentage in series]


def downtime_json(period: DowntimeRecord) -> dict[str, Any]:
    return {
        "id": period.id,
        "started_at": stamp(period.started_at),
        "ended_at": stamp(period.ended_at),
        "notes_html": notes_html(period.notes_markdown),
        "notes_markdown": period.notes_markdown,
    }


def notes_html(markdown: str | None) -> str | None:
    """Paragraphs of escaped text: enough for plain notes without a Markdown dependency."""
    if not markdown:
        return None
    paragraphs = [part.strip() for part in markdown.replace("\r\n", "\n").split("\n\n") if part.strip()]
    return "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 6)


def _sum(*parts: float | None) -> float | None:
    """Cumulative curl-style time: None until the first phase was timed."""
    if parts[0] is None:
        return None
    return sum(part or 0.0 for part in parts)


def _shares(point: MetricPoint) -> dict[str, Any]:
    uptime = point.uptime_percentage
    return {
        "uptime_percentage": uptime,
        "downtime_percentage": round(100 - uptime, 4),
        "uptime_seconds": round(point.up_seconds),
        "downtime_seconds": round(point.down_seconds),
    }


def http_metric_json(point: MetricPoint) -> dict[str, Any]:
    dns, connect, tls = point.average_dns_ms, point.average_connect_ms, point.average_tls_ms
    first_byte, total = point.average_first_byte_ms, point.average_total_ms
    connected = _sum(dns, connect)
    # curl's times are cumulative from the start; appconnect is 0 without TLS, as curl has it.
    appconnect = _sum(dns, connect, tls) if tls else (0.0 if connected is not None else None)
    pretransfer = appconnect if tls else connected
    return {
        "dns_time_in_seconds": _seconds(dns),
        "tcp_time_in_seconds": _seconds(connect),
        "ssl_handshake_time_in_seconds": _seconds(tls),
        "remote_server_processing_time_in_seconds": _seconds(first_byte),
        "download_time_in_seconds": _seconds(point.average_download_ms),
        "total_time_in_seconds": _seconds(total),
        "curl": {
            "namelookup_time": _seconds(dns),
            "connect_time": _seconds(connected),
            "appconnect_time": _seconds(appconnect),
            "starttransfer_time": _seconds(_sum(pretransfer, first_byte)),
            "pretransfer_time": _seconds(pretransfer),
            "redirect_time": 0.0 if total is not None else None,
            "total_time": _seconds(total),
            # Sizes are not recorded per run.
            "header_size": 0,
            "size_download": 0,
            "speed_download": 0,
        },
        "date": stamp(point.date),
    }


def ping_metric_json(point: MetricPoint) -> dict[str, Any]:
    return {
        "minimum_time_in_ms": point.minimum_total_ms,
        "maximum_time_in_ms": point.maximum_total_ms,
        "average_time_in_ms": None if point.average_total_ms is None else round(point.average_total_ms, 3),
        # Per-run packet counts are not rolled up: a failed ping run counts as all packets lost.
        "packet_loss_percentage": round(100 * point.failed_runs / point.runs, 2) if point.runs else 0.0,
        **_shares(point),
        "date": stamp(point.date),
    }


def tcp_metric_json(point: MetricPoint) -> dict[str, Any]:
    connect = point.average_connect_ms
    return {
        "time_to_connect_in_ms": None if connect is None else round(connect, 3),
        **_shares(point),
        "date": stamp(point.date),
    }


METRIC_PRESENTERS = {"http": http_metric_json, "ping": ping_metric_json, "tcp": tcp_metric_json}
