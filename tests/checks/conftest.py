from tests.servers.fixtures import (  # noqa: F401  (fixtures are found by name)
    ca_file,
    guard,
    http_client,
    http_server,
    https_server,
    resolver,
    test_ca,
)
