"""What every channel is: something that delivers one rendered message to one destination
or says why it could not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from lookout.notify.messages import Rendered


@dataclass(frozen=True, slots=True)
class Outgoing:
    destination_id: int
    channel: str
    destination: Mapping[str, Any]
    secret: str | None
    payload: Mapping[str, Any]
    rendered: Rendered


class DeliveryFailed(Exception):  # noqa: N818 - reads as what happened
    """The destination did not take the message; `message` says why, without secrets."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message[:1000]


class Channel(Protocol):
    async def send(self, message: Outgoing) -> None:
        """Deliver once (the outbox retries); raise DeliveryFailed when it did not arrive."""
        ...
