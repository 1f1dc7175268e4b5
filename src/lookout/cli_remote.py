"""The CLI's everyday verbs, spoken over HTTP to any Lookout (or Oh Dear-compatible) API.

They read `LOOKOUT_URL` and `LOOKOUT_TOKEN` (or `--url` / `--token`), so they work against a
remote instance exactly as against the local one, the way Oh Dear's own CLI works.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

monitors_app = typer.Typer(help="List, show, add and remove monitors (over the API).", no_args_is_help=True)
checks_app = typer.Typer(help="Act on checks (over the API).", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

UrlOption = Annotated[str | None, typer.Option("--url", help="Lookout's base URL [env: LOOKOUT_URL]")]
TokenOption = Annotated[str | None, typer.Option("--token", help="API token [env: LOOKOUT_TOKEN]")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]

_STATE_STYLE = {
    "succeeded": "green",
    "warning": "yellow",
    "failed": "red",
    "errored-or-timed-out": "red",
    "pending": "dim",
}


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


class ApiClient:
    """A small client for the Oh Dear-shaped API: errors become one readable line."""

    def __init__(self, url: str | None, token: str | None, timeout: float = 15.0) -> None:
        base = url or os.environ.get("LOOKOUT_URL") or "http://127.0.0.1:8000"
        secret = token or os.environ.get("LOOKOUT_TOKEN")
        if not secret:
            fail("no API token: set LOOKOUT_TOKEN or pass --token (`lookout token create` makes one)", 2)
        self.base = base.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base + "/api",
            headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
            timeout=timeout,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            fail(f"cannot reach Lookout at {self.base}: {exc}")
        if response.status_code >= 400:
            fail(_error_line(response))
        if not response.content:
            return None
        return response.json()

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            body = self.request(
                "GET", path, params={**(params or {}), "page[number]": page, "page[size]": 200}
            )
            yield from body.get("data", [])
            meta = body.get("meta") or {}
            if page >= int(meta.get("last_page") or 1):
                return
            page += 1


def _error_line(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = body.get("message") or f"HTTP {response.status_code}"
    errors = body.get("errors") or {}
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return f"{message} ({details})" if details else str(message)


def _state(monitor: dict[str, Any]) -> str:
    return str(monitor.get("summarized_check_result") or "pending")


def _styled(state: str) -> str:
    style = _STATE_STYLE.get(state, "white")
    return f"[{style}]{state}[/{style}]"


def _monitor_table(monitors: list[dict[str, Any]]) -> Table:
    table = Table("id", "type", "state", "uptime", "checked at")
    table.add_column("url", overflow="fold")  # a URL cut short with "…" cannot be copied
    for monitor in monitors:
        uptime: dict[str, Any] = next((c for c in monitor.get("checks", []) if c.get("type") == "uptime"), {})
        table.add_row(
            str(monitor["id"]),
            str(monitor.get("type", "")),
            _styled(_state(monitor)),
            str(uptime.get("summary") or ""),
            str(uptime.get("latest_run_ended_at") or ""),
            str(monitor.get("url", "")),
        )
    return table


@monitors_app.command("list")
def monitors_list(url: UrlOption = None, token: TokenOption = None, as_json: JsonOption = False) -> None:
    """Every monitor the token can see."""
    monitors = list(ApiClient(url, token).pages("/monitors"))
    if as_json:
        typer.echo(json.dumps(monitors))
        return
    out.print(_monitor_table(monitors))


@monitors_app.command("show")
def monitors_show(
    monitor_id: Annotated[int, typer.Argument(help="The monitor's id")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """One monitor and its checks."""
    monitor = ApiClient(url, token).request("GET", f"/monitors/{monitor_id}")
    if as_json:
        typer.echo(json.dumps(monitor))
        return
    out.print(
        f"[bold]{monitor['url']}[/bold] ({monitor['type']}, id {monitor['id']}): {_styled(_state(monitor))}"
    )
    table = Table("check id", "type", "enabled", "result", "summary", "ended at")
    for check in monitor.get("checks", []):
        result = str(check.get("latest_run_result") or "")
        table.add_row(
            str(check["id"]),
            str(check["type"]),
            "yes" if check.get("enabled") else "no",
            _styled(result) if result else "",
            str(check.get("summary") or ""),
            str(check.get("latest_run_ended_at") or ""),
        )
    out.print(table)


@monitors_app.command("add")
def monitors_add(
    target: Annotated[str, typer.Argument(help="URL (http), host (ping) or host:port (tcp)")],
    monitor_type: Annotated[str, typer.Option("--type", help="http, ping or tcp")] = "http",
    team: Annotated[int | None, typer.Option(help="Team id (default: your first team)")] = None,
    interval: Annotated[int | None, typer.Option(help="Seconds between uptime checks")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a monitor with the default checks of its type."""
    client = ApiClient(url, token)
    if team is None:
        teams = client.request("GET", "/me").get("teams") or []
        if not teams:
            fail("the token's user is in no team; pass --team")
        team = int(teams[0]["id"])
    body: dict[str, Any] = {"url": target, "type": monitor_type, "team_id": team}
    if interval is not None:
        body["uptime_check_settings"] = {"check_interval_in_seconds": interval}
    monitor = client.request("POST", "/monitors", json=body)
    if as_json:
        typer.echo(json.dumps(monitor))
        return
    out.print(f"Monitor {monitor['id']} created for {monitor['url']} ({monitor['type']}).")


@monitors_app.command("rm")
def monitors_rm(
    monitor_id: Annotated[int, typer.Argument(help="The monitor's id")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete a monitor and its history."""
    ApiClient(url, token).request("DELETE", f"/monitors/{monitor_id}")
    out.print(f"Monitor {monitor_id} deleted.")


@checks_app.command("run")
def checks_run(
    check_id: Annotated[int, typer.Argument(help="The check's id (see `lookout monitors show`)")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Run a check now (it runs in the background; `lookout monitors show` shows the result)."""
    check = ApiClient(url, token).request("POST", f"/checks/{check_id}/request-run")
    out.print(f"Check {check_id} ({check.get('type', '?')}) will run now.")


def status(url: UrlOption = None, token: TokenOption = None, as_json: JsonOption = False) -> None:
    """Every monitor with its state at a glance; exits 1 when any is failing."""
    monitors = list(ApiClient(url, token).pages("/monitors"))
    failing = [m for m in monitors if _state(m) in {"failed", "errored-or-timed-out"}]
    if as_json:
        typer.echo(json.dumps([{"id": m["id"], "url": m["url"], "state": _state(m)} for m in monitors]))
    else:
        out.print(_monitor_table(monitors))
        out.print(f"{len(monitors)} monitors, {len(failing)} failing.")
    if failing:
        raise typer.Exit(1)
