from __future__ import annotations
from typing import Any
from hypothesis import given, settings
import pytest
from tests.api.test_openapi_fuzz import FuzzTarget, target, CHECKS_LEFT_OUT, HYPOTHESIS  # noqa: F401

def test_cron_ops(target: FuzzTarget) -> None:
    from schemathesis.checks import CHECKS
    checks = [c for c in CHECKS.get_all() if c.__name__ not in CHECKS_LEFT_OUT]
    failures = {}
    ops = [r.ok() for r in target.schema.get_all_operations() if "cron" in r.ok().path or "ping" in r.ok().path]
    assert len(ops) >= 10, [o.label for o in ops]
    for operation in ops:
        @given(case=operation.as_strategy())
        @settings(max_examples=60, **HYPOTHESIS)
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=target.headers, checks=checks)
        try:
            fuzz()
        except Exception as exc:
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
