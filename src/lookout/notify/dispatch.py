"""One attempt to deliver one message to one destination, through the channel's sender,
timed and turned into an outcome the outbox records."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.notify.base import Channel, DeliveryFailed, Outgoing
from lookout.notify.channels import apprise, mail, webhook
from lookout.notify.channels.mail import SmtpConfig
from lookout.notify.messages import render
from lookout.notify.registry import sender_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Target:
    """A destination as the dispatcher needs it."""

    id: int
    channel: str
    destination: Mapping[str, Any]
    secret: str | None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.error is None


class Dispatcher:
    def __init__(self, senders: Mapping[str, Channel], public_url: str | None = None) -> None:
        self._senders = senders
        self._public_url = public_url

    async def attempt(self, target: Target, payload: Mapping[str, Any]) -> Attempt:
        started = time.perf_counter()
        sender = self._senders.get(sender_of(target.channel))
        error: str | None = None
        if sender is None:
            error = f"no sender for channel {target.channel}"
        else:
            message = Outgoing(
                target.id,
                target.channel,
                target.destination,
                target.secret,
                payload,
                render(dict(payload), self._public_url),
            )
            try:
                await sender.send(message)
            except DeliveryFailed as exc:
                error = exc.message
            except Exception as exc:  # a bug in a sender must not stop the outbox
                log.exception("notification sender %s crashed", target.channel)
                error = f"internal error: {type(exc).__name__}"
        duration_ms = (time.perf_counter() - started) * 1000
        if error is not None:
            log.info("notification to destination %s (%s) failed: %s", target.id, target.channel, error)
        return Attempt(error, duration_ms)


def build_dispatcher(
    *,
    guard: TargetGuard,
    http_client: Callable[[], HttpClient],
    smtp: SmtpConfig,
    public_url: str | None = None,
    webhook_timeout_s: float = webhook.TIMEOUT_S,
    apprise_timeout_s: float = apprise.TIMEOUT_S,
) -> Dispatcher:
    """The three senders behind every channel (see registry.sender_of)."""
    senders: dict[str, Channel] = {
        "webhook": webhook.WebhookChannel(http_client, webhook_timeout_s),
        "mail": mail.MailChannel(smtp),
        "apprise": apprise.AppriseChannel(guard, apprise_timeout_s),
    }
    return Dispatcher(senders, public_url)
