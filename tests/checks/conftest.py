from tests.servers.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    ca_file,
    ctx,
    guard,
    http_server,
    https_server,
    resolver,
    test_ca,
)
