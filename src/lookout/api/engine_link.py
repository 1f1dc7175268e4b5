"""The engine as an API worker process sees it: another process of the same `lookout serve`,
reached over its private Unix socket (`api/internal.py` answers there).

It stands where the in-process engine stands on `app.state.engine`: `request_run` queues a run
now, `health()` and `running` feed /ready, `metrics_text()` is what /metrics answers (every
metric is counted in the engine's process; an API worker counts none of its own).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger(__name__)

# The engine answers these from memory; a slower answer means the process is stuck.
TIMEOUT = httpx.Timeout(5.0)


class EngineUnreachableError(Exception):
    """The engine process did not answer (starting, stopping or gone)."""


class EngineLink:
    def __init__(self, socket_path: Path) -> None:
        self._path = str(socket_path)
        self._sync = httpx.Client(
            transport=httpx.HTTPTransport(uds=self._path), base_url="http://engine", timeout=TIMEOUT
        )
        self._async: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        # Made on first use, inside the worker's running loop.
        if self._async is None:
            self._async = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=self._path), base_url="http://engine", timeout=TIMEOUT
            )
        return self._async

    async def request_run(self, check_id: int) -> bool:
        """Queue a run of the check in the engine; False when it cannot run or the engine is
        not there (the answer shows the check as it stands either way)."""
        try:
            response = await self._client().post(f"/internal/checks/{check_id}/run")
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("asking the engine process to run check %s failed: %s", check_id, error)
            return False
        return bool(response.json().get("queued"))

    def _get(self, path: str) -> httpx.Response:
        try:
            response = self._sync.get(path)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise EngineUnreachableError(str(error) or type(error).__name__) from error
        return response

    def health(self) -> dict[str, Any]:
        state: dict[str, Any] = self._get("/internal/engine").json()
        return state

    @property
    def running(self) -> bool:
        try:
            return bool(self.health()["running"])
        except EngineUnreachableError:
            return False

    def metrics_text(self) -> tuple[bytes, str]:
        """The engine process's exposition and its content type."""
        response = self._get("/metrics")
        return response.content, response.headers.get("content-type", "text/plain")

    async def aclose(self) -> None:
        self._sync.close()
        if self._async is not None:
            await self._async.aclose()
