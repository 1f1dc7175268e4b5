"""Who is calling: `login_token` (or the older `user_token`) as `ID,SECRET`.

Failed logins are counted per client address; past 30 in five minutes the address gets
`-8` for an hour without its tokens being looked at (DNSPod's own rule, B1).
"""

from __future__ import annotations

import time
from collections import deque

from starlette.concurrency import run_in_threadpool

from lookout.api.dnspod.form import Params
from lookout.errors import AuthenticationError
from lookout.services.tokens import Principal, TokenService

FAILURE_WINDOW_S = 300.0
FAILURES_ALLOWED = 30
BAN_S = 3600.0
MAX_ADDRESSES = 10_000


class LoginGuard:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._banned_until: dict[str, float] = {}

    def banned(self, address: str) -> bool:
        until = self._banned_until.get(address)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        del self._banned_until[address]
        return False

    def failed(self, address: str) -> None:
        now = time.monotonic()
        if len(self._failures) >= MAX_ADDRESSES and address not in self._failures:
            self._failures.clear()  # bounded memory; the ban list itself stays
        seen = self._failures.setdefault(address, deque())
        seen.append(now)
        while seen and seen[0] < now - FAILURE_WINDOW_S:
            seen.popleft()
        if len(seen) > FAILURES_ALLOWED:
            self._banned_until[address] = now + BAN_S
            del self._failures[address]


async def principal_of(tokens: TokenService, params: Params) -> Principal | None:
    pair = params.get("login_token").strip() or params.get("user_token").strip()
    if not pair or "," not in pair or len(pair) > 256:
        return None
    try:
        return await run_in_threadpool(tokens.authenticate_pair, pair)
    except AuthenticationError:
        return None
