"""A loopback site and a loopback OpenAI-compatible model, in a thread.

The site: `/pricing` (a page whose plans sit beside a script, a style, a nav and a footer)
and `/gone` (404); `state.page` replaces the pricing page. The model answers
`POST /v1/chat/completions` as OpenAI's API does. Its judgement is a rule, so tests know
the answer: every phrase in double quotes in the user's prompt must appear in the page
text it was sent. `state.mode` makes it misbehave instead: `overloaded` (503 with an
OpenAI error), `rambling` (prose, no JSON), `unsure` (a result that is neither). It wants
`Bearer {API_KEY}` and answers 401 otherwise (quoting the key it got); it keeps every
request body and header.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-test-not-a-real-key"
PAGE = """<!doctype html><html><head><title>Pricing</title>
<style>.plan { color: red }</style>
<script>var note = "Enterprise: $999 per month";</script></head>
<body><nav>Home | Pricing | Blog</nav>
<h1>Plans</h1>
<p>Starter: $9 per month</p>
<p>Pro:   $49 per month</p>
<footer>Copyright Example</footer></body></html>"""


@dataclass
class ModelState:
    mode: str = "judge"
    page: str = PAGE
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def judged(user_message: str) -> dict[str, str]:
    prompt, _, page = user_message.partition("\n\nThe page (")
    wanted = re.findall(r'"([^"]+)"', prompt)
    missing = [phrase for phrase in wanted if phrase not in page]
    if missing:
        return {
            "result": "failed",
            "notification_title": f"Missing: {missing[0]}",
            "notification_body": f"The page does not say {missing[0]!r}.",
            "text": f"I looked for {wanted} and did not find {missing}.",
        }
    return {
        "result": "ok",
        "notification_title": "All as expected",
        "notification_body": "",
        "text": f"Found {wanted}.",
    }


def _handler(state: ModelState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: str, kind: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/pricing":
                self._send(200, state.page, "text/html")
            else:
                self._send(404, "<h1>Not Found</h1>", "text/html")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length))
            state.requests.append(request)
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if self.path != "/v1/chat/completions":
                self._send(404, '{"error": {"message": "no such route"}}')
            elif self.headers.get("Authorization") != f"Bearer {API_KEY}":
                # As some APIs do, the refused key is quoted back.
                presented = str(self.headers.get("Authorization", "")).removeprefix("Bearer ")
                refused = {"error": {"message": f"Incorrect API key provided: {presented}"}}
                self._send(401, json.dumps(refused))
            elif state.mode == "overloaded":
                self._send(503, '{"error": {"message": "The model is overloaded"}}')
            else:
                self._send(200, json.dumps(self._answer(request)))

        def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
            user = request["messages"][-1]["content"]
            if state.mode == "rambling":
                content = "Looks fine to me."
            elif state.mode == "unsure":
                content = '{"result": "maybe"}'
            else:
                # In a fenced block, as chat models often answer even when asked for JSON.
                content = "```json\n" + json.dumps(judged(user)) + "\n```"
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": request.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": 40, "total_tokens": 0},
            }

    return Handler


@dataclass(frozen=True)
class RunningModel:
    url: str
    state: ModelState

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"


@contextmanager
def serve_chat_model() -> Iterator[RunningModel]:
    state = ModelState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningModel(f"http://127.0.0.1:{server.server_address[1]}", state)
    finally:
        server.shutdown()
        server.server_close()
