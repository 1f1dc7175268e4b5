"""Shared test setup: which backing services exist, and skipping (or failing) without them."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

REQUIRE_SERVICES = os.environ.get("LOOKOUT_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "LOOKOUT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("LOOKOUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip when a service is missing; under LOOKOUT_TEST_REQUIRE_SERVICES=1 fail instead."""
    if not port_open(host, port):
        missing(f"{name} is not reachable at {host}:{port}")


def missing(reason: str) -> None:
    """Skip a test for what this machine lacks; under LOOKOUT_TEST_REQUIRE_SERVICES=1 fail."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} and LOOKOUT_TEST_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(reason)


def forget_redis_keys(pattern: str, url: str = REDIS_URL) -> None:
    """Delete a test's keys (`prefix*`) from the shared Redis."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(pattern):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run, dropped afterwards."""
    yield from _throwaway_postgres()


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, for code that sees every row (the engine)."""
    yield from _throwaway_postgres()


def _throwaway_postgres() -> Iterator[str]:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    from sqlalchemy import create_engine, text

    name = f"lookout_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Each store-touching suite that asks for this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'lookout.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
