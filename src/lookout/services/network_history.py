"""The DNS, ports and DNS blocklist history, the AI responses and the Lighthouse reports
of a monitor, for its owners (Oh Dear A14).

A history item is one finished run of the check: its details are the item (the checks
write them in the A14 shape), its id is the run's id, its date the run's start. The DNS
item's `diff_summary` reads the before/after record sets the writer put in the run when
they changed (`findings_changes`); a run without them changed nothing. Runs are kept as
the engine keeps them: the last `runs_kept_per_check` successes, and every warning and
failure (a DNS change is a warning) for `run_retention_days`. A Lighthouse report's full
JSON is kept beside the check's last few runs (store/repositories/reports.py): one item
shows it while it is kept, and null after.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.dns import describe_changes
from lookout.checks.lighthouse import REPORT_FIELDS as LIGHTHOUSE_FIELDS
from lookout.errors import NotFoundError
from lookout.model.check_type import CheckType
from lookout.services.tokens import Principal
from lookout.services.views import Page
from lookout.store.repositories import network_history as repo
from lookout.store.repositories import reports as reports_repo

HistoryKind = Literal["dns", "ports", "dns_blocklist", "ai", "lighthouse"]
_CHECK_TYPES: dict[HistoryKind, CheckType] = {
    "dns": CheckType.DNS,
    "ports": CheckType.PORTS,
    "dns_blocklist": CheckType.DNS_BLOCKLIST,
    "ai": CheckType.AI,
    "lighthouse": CheckType.LIGHTHOUSE,
}
_FINISHED = ("succeeded", "warning", "failed")


def _results(kind: HistoryKind) -> tuple[str, ...]:
    """The run results that are items: an AI response is every run, the model's errors
    included (its result is then "error")."""
    return (*_FINISHED, "errored-or-timed-out") if kind == "ai" else _FINISHED


@dataclass(frozen=True, slots=True)
class DnsHistoryItem:
    id: int
    result: str
    authoritative_nameservers: list[str]
    dns_records: list[dict[str, Any]]
    raw_dns_records: dict[str, list[str]]
    issues: list[str]
    diff_summary: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PortsHistoryItem:
    id: int
    result: str
    scanned_host: str
    resolved_ip: str | None
    open_ports: list[int]
    issues: list[str]
    scan_time_ms: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BlocklistResultView:
    provider: str
    listed: bool
    query_target: str
    return_code: str | None
    reason: str | None
    timed_out: bool


@dataclass(frozen=True, slots=True)
class BlocklistHistoryItem:
    id: int
    result: str
    checked_domain: str
    resolved_ips: list[str]
    blocklist_results: list[BlocklistResultView]
    issues: list[str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AiResponseItem:
    id: int
    result: str
    finish_reason: str
    prompt: str
    text: str
    notification_title: str
    notification_body: str
    used_tools: list[dict[str, Any]]
    used_prompt_tokens: int
    used_completion_tokens: int
    raw_response: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class LighthouseReportItem:
    id: int
    result: str
    # The A14 fields (scores 0-100, timings in ms), as the check wrote them in the run.
    fields: dict[str, Any]
    issues: list[str]
    created_at: datetime
    # Lighthouse's JSON report, on one item while it is kept; None in lists and after.
    json_report: dict[str, Any] | None = None


HistoryItem = DnsHistoryItem | PortsHistoryItem | BlocklistHistoryItem | AiResponseItem | LighthouseReportItem


class NetworkHistoryService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def items(
        self, who: Principal, monitor_id: int, kind: HistoryKind, page: int, size: int
    ) -> Page[HistoryItem]:
        with self._sessions() as session:
            check_id = self._check_id(session, who, monitor_id, kind)
            if check_id is None:
                return Page([], 0)
            rows, total = repo.items_page(session, check_id, _results(kind), (page - 1) * size, size)
            return Page([_view(kind, row) for row in rows], total)

    def item(self, who: Principal, monitor_id: int, kind: HistoryKind, item_id: int) -> HistoryItem:
        with self._sessions() as session:
            check_id = self._check_id(session, who, monitor_id, kind)
            row = repo.item(session, check_id, item_id, _results(kind)) if check_id is not None else None
            if check_id is None or row is None:
                raise NotFoundError("History item not found.")
            return _full(session, check_id, _view(kind, row), row)

    def latest(self, who: Principal, monitor_id: int, kind: HistoryKind) -> HistoryItem:
        """The newest item; not found when there is none yet."""
        with self._sessions() as session:
            check_id = self._check_id(session, who, monitor_id, kind)
            rows = repo.items_page(session, check_id, _results(kind), 0, 1)[0] if check_id is not None else []
            if check_id is None or not rows:
                raise NotFoundError("History item not found.")
            return _full(session, check_id, _view(kind, rows[0]), rows[0])

    @staticmethod
    def _check_id(session: Session, who: Principal, monitor_id: int, kind: HistoryKind) -> int | None:
        """The monitor's check of this kind; None when the monitor type has none (an empty
        history). Another team's monitor, or none at all, is not found."""
        team_ids = who.team_ids
        check_id = repo.team_check_id(session, monitor_id, _CHECK_TYPES[kind].value, team_ids)
        if check_id is None and not repo.monitor_visible(session, monitor_id, team_ids):
            raise NotFoundError("Monitor not found.")
        return check_id


def _full(session: Session, check_id: int, item: HistoryItem, row: Row[Any]) -> HistoryItem:
    """One item as shown alone: a Lighthouse report with its JSON report while it is kept."""
    if not isinstance(item, LighthouseReportItem):
        return item
    deflated = reports_repo.report(session, check_id, row.started_at)
    if deflated is None:
        return item
    return replace(item, json_report=orjson.loads(zlib.decompress(deflated)))


def _view(kind: HistoryKind, row: Row[Any]) -> HistoryItem:
    details: Mapping[str, Any] = row.details if isinstance(row.details, Mapping) else {}
    if kind == "lighthouse":
        return LighthouseReportItem(
            id=row.id,
            result=row.result,
            fields={name: details.get(name) for name in LIGHTHOUSE_FIELDS},
            issues=_strings(details.get("issues")),
            created_at=row.started_at,
        )
    if kind == "ai":
        return AiResponseItem(
            id=row.id,
            result=str(details.get("result") or ("ok" if row.result == "succeeded" else "failed")),
            finish_reason=str(details.get("finish_reason") or ""),
            prompt=str(details.get("prompt") or ""),
            text=str(details.get("text") or ""),
            notification_title=str(details.get("notification_title") or ""),
            notification_body=str(details.get("notification_body") or ""),
            used_tools=[t for t in _list(details.get("used_tools")) if isinstance(t, dict)],
            used_prompt_tokens=_int(details.get("used_prompt_tokens")),
            used_completion_tokens=_int(details.get("used_completion_tokens")),
            raw_response=str(details.get("raw_response") or ""),
            started_at=row.started_at,
            ended_at=row.ended_at,
        )
    if kind == "dns":
        changes = details.get("findings_changes")
        return DnsHistoryItem(
            id=row.id,
            result=row.result,
            authoritative_nameservers=_strings(details.get("authoritative_nameservers")),
            dns_records=[r for r in _list(details.get("dns_records")) if isinstance(r, dict)],
            raw_dns_records={
                str(ns): _strings(lines) for ns, lines in _dict(details.get("raw_dns_records")).items()
            },
            issues=_strings(details.get("issues")),
            diff_summary=describe_changes([c for c in _list(changes) if isinstance(c, dict)]),
            created_at=row.started_at,
        )
    if kind == "ports":
        return PortsHistoryItem(
            id=row.id,
            result=row.result,
            scanned_host=str(details.get("scanned_host", "")),
            resolved_ip=_optional_str(details.get("resolved_ip")),
            open_ports=[p for p in _list(details.get("open_ports")) if isinstance(p, int)],
            issues=_strings(details.get("issues")),
            scan_time_ms=int(details.get("scan_time_ms") or 0),
            created_at=row.started_at,
        )
    results = [
        BlocklistResultView(
            provider=str(r.get("provider", "")),
            listed=bool(r.get("listed")),
            query_target=str(r.get("query_target", "")),
            return_code=_optional_str(r.get("return_code")),
            reason=_optional_str(r.get("reason")),
            timed_out=bool(r.get("timed_out")),
        )
        for r in _list(details.get("blocklist_results"))
        if isinstance(r, dict)
    ]
    return BlocklistHistoryItem(
        id=row.id,
        result=row.result,
        checked_domain=str(details.get("checked_domain", "")),
        resolved_ips=_strings(details.get("resolved_ips")),
        blocklist_results=results,
        issues=_strings(details.get("issues")),
        created_at=row.started_at,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in _list(value)]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)
