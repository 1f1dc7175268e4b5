"""`lookout`: serve, migrate, and manage API tokens."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lookout.errors import NotFoundError
from lookout.settings import Settings

app = typer.Typer(help="Lookout: uptime and site-health monitoring.", no_args_is_help=True)
token_app = typer.Typer(help="Create and revoke API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
console = Console(soft_wrap=True)


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    from lookout.app import build_services, open_store

    return build_services(open_store(settings))


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from lookout.app import open_store

    settings = Settings()
    open_store(settings)
    console.print(f"Database is up to date: {settings.effective_database_url}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run Lookout: the API, and (with the engine) the checks."""
    import uvicorn

    from lookout.app import build_services, create_app, open_store

    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    store = open_store(settings)
    services = build_services(store)
    if not services.tokens.has_users():
        issued = services.tokens.create("admin@localhost", "My team", name="first token")
        console.print("[bold]First start: created user admin@localhost in team 'My team'.[/bold]")
        console.print("API token (shown once, keep it):")
        console.print(f"  [green]{issued.token}[/green]")
        console.print(f"DNSPod-style token (ID,SECRET): {issued.dnspod_token}")
        console.print(
            f"Try: curl -H 'Authorization: Bearer {issued.token}' "
            f"http://{settings.host}:{settings.port}/api/me"
        )
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"Lookout on {base}  API: {base}/api  docs: {base}/docs")
    console.print(f"Database: {settings.effective_database_url}")
    uvicorn.run(
        create_app(settings, store),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=False,
    )


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user's email; created if missing")],
    team: Annotated[str, typer.Option(help="The team's name; created if missing")],
    name: Annotated[str, typer.Option(help="A name for the token")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Create an API token (and the user and team if they do not exist)."""
    issued = _services(Settings()).tokens.create(email, team, name=name)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": issued.id,
                    "token": issued.token,
                    "dnspod_token": issued.dnspod_token,
                    "user_id": issued.user_id,
                    "team_id": issued.team_id,
                }
            )
        )
        return
    console.print(f"Token {issued.id} for {email} in team {team} (id {issued.team_id}):")
    console.print(f"  {issued.token}")
    console.print(f"DNSPod form: {issued.dnspod_token}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id")]) -> None:
    """Revoke a token; requests made with it are refused from now on."""
    try:
        _services(Settings()).tokens.revoke(token_id)
    except NotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Token {token_id} revoked.")


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def bench(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="engine, api or http_clients")],
) -> None:
    """Run a benchmark from bench/ (a source checkout); extra options go to the script."""
    script = Path(__file__).resolve().parents[2] / "bench" / f"{name.replace('-', '_')}.py"
    if not script.is_file():
        console.print(f"[red]No benchmark {name!r} at {script}[/red] (benchmarks need a source checkout)")
        raise typer.Exit(2)
    sys.argv = [str(script), *ctx.args]
    sys.path.insert(0, str(script.parent))  # benchmarks share pieces, as `python bench/x.py` allows
    runpy.run_path(str(script), run_name="__main__")


def main() -> None:
    app()
