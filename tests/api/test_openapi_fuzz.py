"""Schemathesis over the whole OpenAPI description: no 5xx, and answers match the schema.

`positive_data_acceptance` is left out on purpose: a schema cannot say which team ids
belong to the caller or which URLs a team already monitors, so schema-valid bodies are
rightly refused with 422 there. Everything else schemathesis checks by default runs.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings

CHECKS_LEFT_OUT = {"positive_data_acceptance"}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'lookout.db'}"
    config = Settings(database_url=url, rate_limit_per_minute=1_000_000, run_engine=False)
    store = open_store(config)
    services = build_services(store)
    issued = services.tokens.create("fuzz@example.test", "fuzz-team")
    app = create_app(config, store)
    headers = {"Authorization": f"Bearer {issued.token}"}
    # A few real monitors, so generated ids sometimes hit something.
    who = services.tokens.authenticate(issued.token)
    for index, (kind, target) in enumerate(
        [("http", "https://a.example"), ("ping", "b.example"), ("tcp", "c.example:25")]
    ):
        services.monitors.create(
            who, {"url": target, "team_id": issued.team_id, "type": kind, "tags": [f"t{index}"]}
        )
    return {"app": app, "headers": headers}


def test_api_never_errors_and_keeps_its_schema(fuzz_app: dict[str, Any]) -> None:
    from schemathesis.checks import CHECKS

    checks = [check for check in CHECKS.get_all() if check.__name__ not in CHECKS_LEFT_OUT]
    api_schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app["app"])
    failures: dict[str, str] = {}
    calls: list[int] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 35

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            response = case.call_and_validate(headers=fuzz_app["headers"], checks=checks)
            calls.append(response.status_code)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert len(calls) >= 20 * len(operations), f"only {len(calls)} cases ran"
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
