"""A client for an OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM, LiteLLM):
one request, one answer. It knows nothing of checks: the AI check writes the messages and
reads the answer.

The endpoint is the operator's (`LOOKOUT_AI_URL`), not a user's, so its guard may allow
private addresses (a model on the LAN); metadata addresses stay refused. The API key only
ever travels in the Authorization header: never in an error, a log line or a repr.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lookout.net.http import HttpClient, HttpRequest, TransportError

ANSWER_LIMIT = 1024 * 1024


class ChatError(Exception):
    """The model could not be asked or its API's answer could not be read; `message` says why
    in a person's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatClient:
    base_url: str
    model: str
    timeout_s: float
    http: HttpClient
    api_key: str | None = field(default=None, repr=False)

    async def complete(self, messages: Sequence[Mapping[str, str]]) -> ChatAnswer:
        body = {
            "model": self.model,
            "messages": [dict(message) for message in messages],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        headers = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if self.api_key:
            headers.append(("Authorization", f"Bearer {self.api_key}"))
        request = HttpRequest(
            url=self.base_url.rstrip("/") + "/chat/completions",
            method="POST",
            headers=headers,
            body=json.dumps(body).encode(),
            timeout_s=self.timeout_s,
            body_limit=ANSWER_LIMIT,
        )
        try:
            response = await self.http.fetch(request)
        except TransportError as exc:
            raise ChatError(f"could not reach the model's API: {exc.message}") from None
        if response.truncated:
            raise ChatError(f"the model's API answered more than {ANSWER_LIMIT // 1024} KiB")
        try:
            document = json.loads(response.body)
        except ValueError:
            document = None
        if not 200 <= response.status < 300:
            error = _error_text(document)
            if self.api_key:  # some APIs quote the key they refused; a run's summary must not
                error = error.replace(self.api_key, "[key]")
            raise ChatError(f"the model's API answered HTTP {response.status}{error}")
        return answer_from(document)


def answer_from(document: Any) -> ChatAnswer:
    """The first choice of a chat completions answer; ChatError when it has none."""
    if not isinstance(document, dict):
        raise ChatError("the model's API answered something other than a JSON object")
    choices = document.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ChatError("the model's API answered without a message")
    assert isinstance(first, dict)
    usage = document.get("usage")
    if not isinstance(usage, dict):
        usage = {}
    return ChatAnswer(
        content=content,
        finish_reason=str(first.get("finish_reason") or ""),
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        raw=document,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _error_text(document: Any) -> str:
    """`: message` from an OpenAI-style error body, cut short; nothing when there is none."""
    error = document.get("error") if isinstance(document, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return f": {str(message)[:200]}" if isinstance(message, str) and message else ""
