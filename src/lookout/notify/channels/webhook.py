"""Webhooks in Oh Dear's shape: a JSON POST signed with `OhDear-Signature`, the lowercase
hex HMAC-SHA256 of the raw body under the destination's secret. Only HTTP 200 counts as
delivered; a slow receiver is cut at the timeout (3 s, as Oh Dear)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import orjson

from lookout.net.http import HttpClient, HttpRequest, TransportError
from lookout.notify.base import DeliveryFailed, Outgoing
from lookout.notify.messages import webhook_body

TIMEOUT_S = 3.0
SIGNATURE_HEADER = "OhDear-Signature"


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    def __init__(self, http_client: Callable[[], HttpClient], timeout_s: float = TIMEOUT_S) -> None:
        self._http_client = http_client
        self._timeout_s = timeout_s

    async def send(self, message: Outgoing) -> None:
        url = str(message.destination.get("url", ""))
        body = orjson.dumps(webhook_body(dict(message.payload)))
        headers = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if message.secret:
            headers.append((SIGNATURE_HEADER, sign(body, message.secret)))
        request = HttpRequest(
            url=url,
            method="POST",
            headers=headers,
            body=body,
            timeout_s=self._timeout_s,
            max_redirects=0,
            body_limit=4096,
        )
        try:
            response = await self._http_client().fetch(request)
        except TransportError as exc:
            raise DeliveryFailed(f"{exc.kind.value}: {exc.message}") from None
        if response.status != 200:
            raise DeliveryFailed(f"HTTP {response.status} (only 200 counts as delivered)")
