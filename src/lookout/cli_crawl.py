"""`lookout crawl URL`: crawl a site from the command line with a progress bar and print the
broken links and mixed content found: the broken-links check's own crawl, run once."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from lookout.settings import Settings

console = Console(soft_wrap=True)
_SPEEDS = ("slowest", "slow", "default", "fast", "fastest", "unlimited")


def crawl(
    url: Annotated[str, typer.Argument(help="The site's start URL (http or https)")],
    speed: Annotated[str, typer.Option(help=f"One of: {', '.join(_SPEEDS)}")] = "default",
    max_pages: Annotated[int, typer.Option(min=1, max=100_000, help="Stop after this many pages")] = 5000,
    external: Annotated[bool, typer.Option("--external", help="Check links to other sites too")] = False,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Crawl what robots.txt forbids")
    ] = False,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private and loopback addresses (your own LAN site)")
    ] = False,
) -> None:
    """Crawl a site and report its broken links and mixed content (exit status 1 if any)."""
    if speed not in _SPEEDS:
        console.print(f"[red]--speed must be one of {', '.join(_SPEEDS)}[/red]")
        raise typer.Exit(2)
    if not url.lower().startswith(("http://", "https://")):
        console.print("[red]The URL must start with http:// or https://[/red]")
        raise typer.Exit(2)
    settings = Settings()
    if allow_private:
        settings = settings.model_copy(update={"allow_private_targets": True})
    problems = asyncio.run(_crawl(settings, url, speed, max_pages, external, not ignore_robots))
    raise typer.Exit(1 if problems else 0)


async def _crawl(
    settings: Settings, url: str, speed: str, max_pages: int, external: bool, robots: bool
) -> int:
    from lookout.check_context import build_check_context
    from lookout.checks.base import Target
    from lookout.checks.broken_links import find_broken_links
    from lookout.checks.mixed_content import LOADED_KINDS
    from lookout.model.check_settings import BrokenLinksSettings
    from lookout.model.check_type import MonitorType
    from lookout.net.crawl import Page

    ctx = build_check_context(settings)
    check_settings = BrokenLinksSettings.model_validate(
        {"crawler_speed": speed, "check_include_external_links": external}
    )
    mixed: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Crawling pages", total=max_pages)

        def on_page(page: Page) -> None:
            progress.advance(task)
            if page.url.startswith("https://"):
                for ref in page.refs:
                    if ref.kind in LOADED_KINDS and ref.url.startswith("http://"):
                        mixed.append((ref.element, ref.url, page.url))

        report = await find_broken_links(
            Target(0, MonitorType.HTTP, url),
            check_settings,
            ctx,
            max_pages=max_pages,
            progress=on_page,
            respect_robots=robots,
        )
    elapsed = time.perf_counter() - started
    if report.start is None or not report.start.ok:
        start = report.start
        reason = "no answer" if start is None else (start.error or f"HTTP {start.status}")
        console.print(f"[red]Could not crawl {url}: {reason}[/red]")
        return 1
    if report.broken:
        table = Table("status", "broken URL", "found on", "type", title="Broken links")
        for link in report.broken:
            status = str(link["status_code"] or "") + (
                f" {link['error_message']}" if link["error_message"] else ""
            )
            table.add_row(status.strip(), link["crawled_url"], link["found_on_url"], link["type"])
        console.print(table)
    if mixed:
        table = Table("element", "http:// resource", "found on", title="Mixed content")
        for row in sorted(set(mixed)):
            table.add_row(*row)
        console.print(table)
    rate = report.pages / elapsed if elapsed > 0 else 0.0
    stopped = f" (stopped by {report.stats['stopped_by']})" if report.stats["stopped_by"] else ""
    console.print(
        f"Crawled {report.pages} pages in {elapsed:.1f} s ({rate:.0f} pages/s){stopped}, "
        f"checked {report.urls_checked} URLs: {len({b['crawled_url'] for b in report.broken})} broken links, "
        f"{len(set(mixed))} mixed content resources."
    )
    return len(report.broken) + len(mixed)
