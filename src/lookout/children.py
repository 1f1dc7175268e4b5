"""Stopping the processes `lookout serve` spawns (API workers, check processes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from multiprocessing.context import SpawnProcess

log = logging.getLogger(__name__)


def join_or_kill(processes: Sequence[SpawnProcess], grace_seconds: float, what: str) -> None:
    """Wait for every process to exit, all within `grace_seconds`; kill those still running."""
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.warning("%s pid %s did not stop in %s s; killed", what, process.pid, grace_seconds)
            process.kill()
            process.join()
