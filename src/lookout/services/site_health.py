"""What the crawl checks found, read for a monitor's owners: broken links and mixed content
(the findings the latest crawl left open) and the latest sitemap report. Another team's
monitor, or a monitor without the check, is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError
from lookout.model.check_type import CheckType
from lookout.services.tokens import Principal
from lookout.services.views import Page
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.repositories import site_health as repo


@dataclass(frozen=True, slots=True)
class CrawlRun:
    """The run a listing comes from."""

    id: int
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class BrokenLinkRecord:
    status_code: int | None
    crawled_url: str
    found_on_url: str
    link_text: str
    type: str
    error_message: str | None
    internal: bool


@dataclass(frozen=True, slots=True)
class MixedContentRecord:
    element_name: str
    mixed_content_url: str
    found_on_url: str


@dataclass(frozen=True, slots=True)
class CrawlListing:
    page: Page[Any]
    run: CrawlRun | None


class SiteHealthService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def broken_links(self, who: Principal, monitor_id: int, page: int, size: int) -> CrawlListing:
        """The broken links of the latest crawl; with `new_links_only`, only those first
        seen in it."""
        with self._sessions() as session:
            check_id, settings = self._check(session, who, monitor_id, CheckType.BROKEN_LINKS)
            run = repo.latest_run(session, check_id)
            since = run.started_at if run is not None and settings.get("new_links_only") else None
            payloads, total = repo.open_findings(
                session, check_id, seen_since=since, offset=(page - 1) * size, limit=size
            )
            items = [
                BrokenLinkRecord(
                    _int_or_none(p.get("status_code")),
                    str(p.get("crawled_url", "")),
                    str(p.get("found_on_url", "")),
                    str(p.get("link_text", "")),
                    str(p.get("type", "")),
                    None if p.get("error_message") is None else str(p["error_message"]),
                    bool(p.get("internal", False)),
                )
                for p in payloads
            ]
            return CrawlListing(Page(items, total), _run(run))

    def mixed_content(self, who: Principal, monitor_id: int, page: int, size: int) -> CrawlListing:
        with self._sessions() as session:
            check_id, _ = self._check(session, who, monitor_id, CheckType.MIXED_CONTENT)
            run = repo.latest_run(session, check_id)
            payloads, total = repo.open_findings(
                session, check_id, seen_since=None, offset=(page - 1) * size, limit=size
            )
            items = [
                MixedContentRecord(
                    str(p.get("element_name", "")),
                    str(p.get("mixed_content_url", "")),
                    str(p.get("found_on_url", "")),
                )
                for p in payloads
            ]
            return CrawlListing(Page(items, total), _run(run))

    def sitemap(self, who: Principal, monitor_id: int) -> dict[str, Any] | None:
        """The latest sitemap report (A14's camelCase object), or None before the first run."""
        with self._sessions() as session:
            check_id, _ = self._check(session, who, monitor_id, CheckType.SITEMAP)
            run = repo.latest_run(session, check_id)
            if run is None or "checkUrl" not in (run.details or {}):
                return None
            return dict(run.details)

    @staticmethod
    def _check(
        session: Session, who: Principal, monitor_id: int, check_type: CheckType
    ) -> tuple[int, dict[str, Any]]:
        if monitors_repo.monitor_row(session, monitor_id, who.team_ids) is None:
            raise NotFoundError("Monitor not found.")
        found = repo.check_of(session, monitor_id, check_type.value)
        if found is None:
            raise NotFoundError(f"The monitor has no {check_type.value} check.")
        return found


def _run(run: Any) -> CrawlRun | None:
    return None if run is None else CrawlRun(run.id, run.started_at, run.ended_at)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
