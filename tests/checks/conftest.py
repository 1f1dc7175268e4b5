from datetime import UTC, datetime

import pytest

from lookout.checks.base import CheckContext
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from tests.servers.fixtures import (  # noqa: F401  (fixtures are found by name)
    ca_file,
    guard,
    http_client,
    http_server,
    https_server,
    resolver,
    test_ca,
)


@pytest.fixture
def ctx(resolver: Resolver, guard: TargetGuard, ca_file: str) -> CheckContext:
    return CheckContext(
        resolver=resolver,
        guard=guard,
        clock=lambda: datetime.now(UTC),
        location="test",
        http_client=lambda g: HttpClient(g, ca_file=ca_file),
    )
