"""`lookout crawl URL` against the generated loopback site: a progress bar, then the broken
links and mixed content found, and exit status 1 because there are some."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lookout import cli_crawl
from lookout.cli import app
from tests.servers.site import PAGES, site_in_thread


def test_crawl_prints_pages_and_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_crawl.console, "width", 300)  # no URL folded over two lines
    with site_in_thread() as site:
        result = CliRunner().invoke(
            app,
            ["crawl", site.url("/"), "--speed", "unlimited", "--allow-private"]
            + ["--max-pages", str(PAGES + 20)],
        )
    assert result.exit_code == 1, result.output
    assert f"Crawled {PAGES + 20} pages" in result.output
    assert "(stopped by max_pages)" in result.output
    # The seven planted faults and /ignored/404, which only the monitor's whitelist hides.
    assert "8 broken links" in result.output
    for broken in ("/missing-page", "/img/missing.png", "/js/missing.js", "/css/gone.css", "/ignored/404"):
        assert broken in result.output
    assert "redirect loop" in result.output


def test_crawl_refuses_a_bad_speed() -> None:
    result = CliRunner().invoke(app, ["crawl", "http://127.0.0.1:9/", "--speed", "warp"])
    assert result.exit_code == 2
