"""DNSPod callbacks (B6): a form POST to the D-Monitor's `callback_url` when its IP goes
down and when it recovers, with `checksum = md5(monitor_id + domain_id + record_id +
callback_key + created_at)` over the values as sent.

The form is stored (`failover_callbacks`) in the transaction that records the event and
delivered from there: claimed by compare-and-set on `claimed_until`, every try a
`failover_callback_attempts` row, retried with a backoff until a 2xx or the last attempt.
The URL goes through the target guard at every try (the HTTP client guards what it dials).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lookout.net.http import HttpClient, HttpRequest, TransportError
from lookout.store.db import transaction
from lookout.store.tables.failover import FailoverCallback, FailoverCallbackAttempt

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, SUPPRESSED = "pending", "sent", "failed", "suppressed"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def checksum(monitor_id: str, domain_id: str, record_id: str, callback_key: str, created_at: str) -> str:
    text = f"{monitor_id}{domain_id}{record_id}{callback_key}{created_at}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    monitor_id: str
    domain_id: int
    domain: str
    record_id: int
    sub_domain: str
    record_line: str
    ip: str
    status: str  # Down | Ok | Warn
    status_code: int
    reason: str
    at: datetime


def callback_form(event: CallbackEvent, callback_key: str) -> dict[str, str]:
    """The twelve fields of B6, as strings, in DNSPod's order."""
    created_at = event.at.strftime(TIME_FORMAT)
    form = {
        "monitor_id": event.monitor_id,
        "domain_id": str(event.domain_id),
        "domain": event.domain,
        "record_id": str(event.record_id),
        "sub_domain": event.sub_domain,
        "record_line": event.record_line,
        "ip": event.ip,
        "status": event.status,
        "status_code": str(event.status_code),
        "reason": event.reason[:500],
        "created_at": created_at,
    }
    form["checksum"] = checksum(
        form["monitor_id"], form["domain_id"], form["record_id"], callback_key, created_at
    )
    return form


@dataclass(frozen=True, slots=True)
class CallbackTuning:
    max_attempts: int = 5
    # Seconds before the 2nd, 3rd, ... attempt (the last value repeats).
    backoff_s: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    timeout_s: float = 5.0
    lease: timedelta = timedelta(seconds=60)
    batch: int = 100


class CallbackSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        http_client: Callable[[], HttpClient],
        clock: Callable[[], datetime],
        tuning: CallbackTuning | None = None,
        worker: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._http_client = http_client
        self._clock = clock
        self.tuning = tuning or CallbackTuning()
        self.worker = worker or f"callbacks-{uuid.uuid4().hex[:12]}"

    def claim_due(self, now: datetime) -> list[tuple[int, str, dict[str, str], int]]:
        """(id, url, form, attempt number) of the due callbacks this worker now holds."""
        with self._sessions() as session:
            due = session.scalars(
                select(FailoverCallback.id)
                .where(
                    FailoverCallback.status == PENDING,
                    FailoverCallback.due_at <= now,
                    or_(FailoverCallback.claimed_until.is_(None), FailoverCallback.claimed_until < now),
                )
                .order_by(FailoverCallback.due_at)
                .limit(self.tuning.batch)
            ).all()
        claimed = []
        for callback_id in due:
            with transaction(self._sessions) as session:
                taken = session.execute(
                    update(FailoverCallback)
                    .where(
                        FailoverCallback.id == callback_id,
                        FailoverCallback.status == PENDING,
                        or_(FailoverCallback.claimed_until.is_(None), FailoverCallback.claimed_until < now),
                    )
                    .values(claimed_by=self.worker, claimed_until=now + self.tuning.lease)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                row = session.get(FailoverCallback, callback_id)
                assert row is not None
                claimed.append((row.id, row.url, dict(row.form), row.attempts + 1))
        return claimed

    async def deliver_due(self) -> int:
        now = self._clock()
        claimed = await asyncio.to_thread(self.claim_due, now)
        for callback_id, url, form, attempt in claimed:
            error, http_status, took_ms = await self._post(url, form)
            await asyncio.to_thread(self._record, callback_id, attempt, error, http_status, took_ms)
        return len(claimed)

    async def _post(self, url: str, form: Mapping[str, str]) -> tuple[str | None, int | None, float]:
        started = time.perf_counter()
        request = HttpRequest(
            url=url,
            method="POST",
            form=list(form.items()),
            headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            timeout_s=self.tuning.timeout_s,
            max_redirects=0,
            body_limit=4096,
        )
        try:
            response = await self._http_client().fetch(request)
        except TransportError as exc:
            return f"{exc.kind.value}: {exc.message}", None, (time.perf_counter() - started) * 1000
        took_ms = (time.perf_counter() - started) * 1000
        if 200 <= response.status < 300:
            return None, response.status, took_ms
        return f"HTTP {response.status}", response.status, took_ms

    def _record(
        self, callback_id: int, attempt: int, error: str | None, http_status: int | None, took_ms: float
    ) -> None:
        now = self._clock()
        with transaction(self._sessions) as session:
            row = session.get(FailoverCallback, callback_id)
            if row is None or row.claimed_by != self.worker:
                return
            session.add(
                FailoverCallbackAttempt(
                    callback_id=callback_id,
                    attempt=attempt,
                    status=SENT if error is None else FAILED,
                    http_status=http_status,
                    error=error,
                    duration_ms=took_ms,
                    created_at=now,
                )
            )
            row.attempts = attempt
            row.claimed_by, row.claimed_until = None, None
            if error is None:
                row.status, row.sent_at = SENT, now
                return
            log.info(
                "callback %s for D-Monitor %s failed (try %d): %s", row.id, row.d_monitor_id, attempt, error
            )
            if attempt >= self.tuning.max_attempts:
                row.status = FAILED
                return
            backoff = self.tuning.backoff_s
            row.due_at = now + timedelta(seconds=backoff[min(attempt - 1, len(backoff) - 1)])
