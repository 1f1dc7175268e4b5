"""Shared test setup: which backing services exist, and skipping (or failing) without them."""

from __future__ import annotations

import os
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("LOOKOUT_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("LOOKOUT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LOOKOUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip when a service is missing; under LOOKOUT_TEST_REQUIRE_SERVICES=1 fail instead."""
    if port_open(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} and LOOKOUT_TEST_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(reason)
