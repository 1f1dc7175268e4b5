"""`lookout`: serve, migrate, and manage API tokens."""

from __future__ import annotations

import json
import logging
import os
import runpy
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from lookout import __version__, cli_crawl, cli_remote
from lookout.errors import NotFoundError
from lookout.logs import masked_url
from lookout.settings import Settings

app = typer.Typer(help="Lookout: uptime and site-health monitoring.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(cli_remote.monitors_app, name="monitors")
app.add_typer(cli_remote.checks_app, name="checks")
app.command("status")(cli_remote.status)
app.command("crawl")(cli_crawl.crawl)
console = Console(soft_wrap=True)
log = logging.getLogger("lookout")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lookout {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit"),
    ] = False,
) -> None:
    """Lookout: uptime and site-health monitoring."""


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    from lookout.app import build_services, open_store

    return build_services(open_store(settings))


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from lookout.app import open_store

    settings = Settings()
    open_store(settings)
    console.print(f"Database is up to date: {masked_url(settings.effective_database_url)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run Lookout: the API, and (with the engine) the checks."""
    import uvicorn

    from lookout.app import build_services, create_app, open_store
    from lookout.logs import configure_logging, describe_settings
    from lookout.settings import unknown_environment_settings

    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level, settings.log_format)
    for name in unknown_environment_settings():
        log.warning("%s names no setting and is ignored", name)
    shown = describe_settings(settings.model_dump(mode="json"))
    log.info(
        "lookout %s starting: %s",
        __version__,
        " ".join(f"{k}={v}" for k, v in shown.items() if v is not None),
        extra={"settings": shown},
    )
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
    console.print(f"Database: {masked_url(settings.effective_database_url)}")
    from lookout.workers import api_workers_for, check_processes_for, serve_with_api_workers

    monitors = services.monitors.total()
    workers = api_workers_for(settings.api_workers, monitors, os.cpu_count())
    processes = check_processes_for(settings.check_processes, monitors, os.cpu_count())
    settings = settings.model_copy(update={"check_processes": processes})
    if workers:
        serve_with_api_workers(settings, store, workers)
        log.info("lookout stopped")
        return
    uvicorn.run(
        create_app(settings, store),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # ours, set up above
        access_log=settings.access_log,
        proxy_headers=False,
    )
    log.info("lookout stopped")


@app.command()
def worker(
    location: Annotated[
        str | None, typer.Option(help="The location whose checks it runs (default: LOOKOUT_LOCATION)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Answer /health, /ready and /metrics on this port (of LOOKOUT_HOST)")
    ] = None,
) -> None:
    """Run checks from the shared queue (Redis at LOOKOUT_REDIS_URL) and store their results:
    no API, no scheduler. `lookout serve` with LOOKOUT_QUEUE=redis puts the jobs there."""
    import asyncio

    import uvicorn

    from lookout.app import open_store
    from lookout.location_worker import run_worker, worker_app
    from lookout.logs import configure_logging

    overrides: dict[str, object] = {"queue": "redis", "run_checks": True}
    if location is not None:
        overrides["location"] = location
    settings = Settings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level, settings.log_format)
    log.info(
        "lookout %s worker starting: location=%s database=%s",
        __version__,
        settings.location,
        masked_url(settings.effective_database_url),
    )
    if port is None:
        asyncio.run(run_worker(settings))
        return
    app = worker_app(settings, open_store(settings))
    uvicorn.run(
        app, host=settings.host, port=port, log_config=None, access_log=False, log_level=settings.log_level
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


@token_app.command("list")
def token_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every token (ids for `token revoke`); secrets are never stored, so never shown."""
    from rich.table import Table

    tokens = _services(Settings()).tokens.list()
    if as_json:
        typer.echo(json.dumps([{**vars_of(t)} for t in tokens], default=str))
        return
    table = Table("id", "name", "user", "created", "last used", "revoked")
    for t in tokens:
        table.add_row(
            str(t.id), t.name, t.email, _when(t.created_at), _when(t.last_used_at), _when(t.revoked_at)
        )
    console.print(table)


def vars_of(token: object) -> dict[str, object]:
    return {name: getattr(token, name) for name in token.__slots__}  # type: ignore[attr-defined]


def _when(value: object) -> str:
    return "" if value is None else str(value)[:19]


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id")]) -> None:
    """Revoke a token; requests made with it are refused from now on."""
    try:
        _services(Settings()).tokens.revoke(token_id)
    except NotFoundError as exc:
        cli_remote.fail(str(exc))
    console.print(f"Token {token_id} revoked.")


@app.command("team-timezone")
def team_timezone(
    team: Annotated[str, typer.Argument(help="The team's name or id")],
    zone: Annotated[str, typer.Argument(help="An IANA time zone, e.g. Europe/Amsterdam")],
) -> None:
    """Set a team's time zone: maintenance periods are read and shown in it, recurring windows follow it."""
    from lookout.app import open_store
    from lookout.errors import ValidationFailed
    from lookout.services.maintenance import set_team_timezone

    try:
        set_team_timezone(open_store(Settings()).sessions, team, zone)
    except (NotFoundError, ValidationFailed) as exc:
        message = str(exc) if isinstance(exc, NotFoundError) else exc.errors["timezone"][0]
        cli_remote.fail(message)
    console.print(f"Team {team} now uses {zone}.")


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def bench(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(help="a script of bench/: scale, engine, api, crawl, cron_pings, failover, ..."),
    ],
) -> None:
    """Run a benchmark from bench/ (a source checkout); extra options go to the script."""
    script = Path(__file__).resolve().parents[2] / "bench" / f"{name.replace('-', '_')}.py"
    if not script.is_file():
        cli_remote.fail(f"no benchmark {name!r} at {script} (benchmarks need a source checkout)", 2)
    sys.argv = [str(script), *ctx.args]
    sys.path.insert(0, str(script.parent))  # benchmarks share pieces, as `python bench/x.py` allows
    runpy.run_path(str(script), run_name="__main__")


def _setting_problem(error: Any) -> str:
    """`LOOKOUT_PORT: Input should be a valid integer`; a rule between settings (no field)
    is its message alone."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    return f"LOOKOUT_{'_'.join(str(part) for part in error['loc']).upper()}: {message}"


def main() -> None:
    """Run the CLI; a bad setting or an unreachable database is one line on stderr, not a traceback."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from lookout.settings import SettingsError

    try:
        app(standalone_mode=True)
    except SettingsError as exc:
        _fail(str(exc), 2)
    except ValidationError as exc:
        _fail(f"bad setting: {'; '.join(map(_setting_problem, exc.errors()))}", 2)
    except ModuleNotFoundError as exc:
        if exc.name != "psycopg":
            raise
        _fail("PostgreSQL needs the driver: pip install 'lookout[postgres]' (make test installs it)", 1)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc).splitlines()[0]
        _fail(f"cannot use the database: {reason}", 1)


def _fail(message: str, code: int) -> None:
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {message}", highlight=False)
    sys.exit(code)
