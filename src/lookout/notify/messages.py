"""Rendering an event for people (a subject, a plain-text and an HTML body) and for
machines (the webhook body in Oh Dear's shape). Works from the message's stored payload
only: the event's kind, reason and details say what to tell, never the check type."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lookout.model import events

MAX_DETAIL_LINES = 10


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    link: str | None


_HEADLINES: dict[str, str] = {
    events.FAILED: "{check} failed",
    events.RECOVERED: "{check} recovered",
    events.WARNING: "{check}: warning",
    events.FIXED: "{check}: warning resolved",
    events.CHANGED: "{check}: something changed",
    events.REMINDER: "{check} is still failing",
}


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def human_time(value: Any) -> str:
    at = parse_time(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "unknown"


def ohdear_time(value: Any) -> str | None:
    at = parse_time(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else None


def monitor_link(payload: dict[str, Any], public_url: str | None) -> str | None:
    monitor = payload.get("monitor") or {}
    if not public_url or "id" not in monitor:
        return None
    return f"{public_url.rstrip('/')}/monitors/{monitor['id']}"


def render(payload: dict[str, Any], public_url: str | None) -> Rendered:
    kind = str(payload.get("kind", ""))
    if kind == events.SUMMARY:
        return _render_summary(payload, public_url)
    if kind == events.TEST:
        text = (
            "This is a test notification from Lookout.\n"
            f"Destination: {payload.get('destination_label') or payload.get('channel', '')}\n"
            "If you can read this, notifications reach you here.\n"
        )
        return Rendered("[Lookout] Test notification", text, _html_of("Test notification", text), None)
    monitor = payload.get("monitor") or {}
    check = payload.get("check") or {}
    name = str(monitor.get("label") or monitor.get("url") or "a monitor")
    check_label = str(check.get("label") or "Check")
    headline = _HEADLINES.get(kind, "{check}: {event}").format(check=check_label, event=payload.get("event"))
    subject = f"[Lookout] {headline}: {name}"
    lines = [f"{headline} on {name}.", ""]
    lines.append(f"What happened: {payload.get('reason') or 'no reason given'}")
    if kind in (events.FAILED, events.REMINDER) and payload.get("since"):
        lines.append(f"Failing since: {human_time(payload.get('since'))}")
    else:
        lines.append(f"When: {human_time(payload.get('at'))}")
    if monitor.get("url"):
        lines.append(f"Monitor: {monitor['url']}")
    lines.extend(_detail_lines(payload.get("details")))
    link = monitor_link(payload, public_url)
    if link:
        lines += ["", f"Open the monitor: {link}"]
    text = "\n".join(lines) + "\n"
    return Rendered(subject, text, _html_of(f"{headline} on {name}", text, link), link)


def _render_summary(payload: dict[str, Any], public_url: str | None) -> Rendered:
    items: list[dict[str, Any]] = list(payload.get("items") or [])
    count = len(items)
    subject = f"[Lookout] {count} more notification{'s' if count != 1 else ''} held back"
    lines = [
        f"Too many notifications in a short time: {count} were folded into this summary.",
        "",
    ]
    for item in items[:50]:
        monitor = item.get("monitor") or {}
        check = item.get("check") or {}
        lines.append(
            f"- {human_time(item.get('at'))} {monitor.get('label') or monitor.get('url') or ''}: "
            f"{check.get('label') or ''} {item.get('kind', '')}: {item.get('reason', '')}"
        )
    if count > 50:
        lines.append(f"... and {count - 50} more.")
    text = "\n".join(lines) + "\n"
    link = public_url.rstrip("/") if public_url else None
    return Rendered(subject, text, _html_of(subject.removeprefix("[Lookout] "), text, link), link)


def _detail_lines(details: Any) -> list[str]:
    if not isinstance(details, dict) or not details:
        return []
    lines = ["", "Details:"]
    for key, value in list(details.items())[:MAX_DETAIL_LINES]:
        shown = value if isinstance(value, str | int | float | bool) else _short(value)
        lines.append(f"  {key}: {shown}")
    return lines


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value[:5]) + (" ..." if len(value) > 5 else "")
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _html_of(title: str, text: str, link: str | None = None) -> str:
    paragraphs = "<br>\n".join(html.escape(line) for line in text.rstrip("\n").split("\n"))
    button = f'<p><a href="{html.escape(link, quote=True)}">Open the monitor</a></p>' if link else ""
    return (
        f"<!doctype html><html><body><h2>{html.escape(title)}</h2><p>{paragraphs}</p>{button}</body></html>"
    )


def webhook_body(payload: dict[str, Any]) -> dict[str, Any]:
    """Oh Dear's webhook shape: `type`, the date both ways, the monitor as `monitor` and
    `site`, and `run` with what this event says."""
    at = parse_time(payload.get("at")) or datetime.now(UTC)
    stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    monitor = dict(payload.get("monitor") or {})
    run: dict[str, Any] = {
        "kind": payload.get("kind"),
        "result": payload.get("result"),
        "summary": payload.get("reason"),
        "reason": payload.get("reason"),
        "check": payload.get("check"),
        "from_status": payload.get("from_status"),
        "to_status": payload.get("to_status"),
        "since": ohdear_time(payload.get("since")),
        "details": payload.get("details"),
        "started_at": ohdear_time(payload.get("since") or payload.get("at")),
        "ended_at": ohdear_time(payload.get("at")),
        "created_at": ohdear_time(payload.get("at")),
        "updated_at": ohdear_time(payload.get("at")),
    }
    if payload.get("kind") == events.SUMMARY:
        run["items"] = payload.get("items")
    if payload.get("kind") == events.REMINDER:
        run["reminder"] = payload.get("reminder")
    return {
        "type": payload.get("event"),
        "dateTime": stamp,
        "date_time": stamp,
        "monitor": monitor,
        "site": monitor,
        "run": run,
    }
