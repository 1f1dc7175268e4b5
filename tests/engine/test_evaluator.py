"""The evaluator as tables: a sequence of outcomes → displayed flags, statuses and changes
(written `kind:from->to`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lookout.engine.evaluator import ChangeKind, CheckState, FindingsNews, Status, evaluate
from lookout.model.result import CheckResult, Outcome

T0 = datetime(2025, 1, 1, tzinfo=UTC)
S, W, F, E = Outcome.SUCCEEDED, Outcome.WARNING, Outcome.FAILED, Outcome.ERRORED


def run(
    outcomes: list[Outcome], threshold: int, state: CheckState | None = None
) -> list[tuple[bool, Status, str | None]]:
    state = state or CheckState()
    seen: list[tuple[bool, Status, str | None]] = []
    for i, outcome in enumerate(outcomes):
        at = T0 + timedelta(seconds=10 * i)
        result = CheckResult(outcome, outcome.value, at, at + timedelta(seconds=1))
        ev = evaluate(state, result, threshold, at)
        state = ev.state
        change = f"{ev.change.kind}:{ev.change.from_status}->{ev.change.to_status}" if ev.change else None
        seen.append((ev.display, state.status, change))
    return seen


UP, DOWN, UNK, WARN = Status.UP, Status.DOWN, Status.UNKNOWN, Status.WARNING


@pytest.mark.parametrize(
    ("outcomes", "threshold", "expected"),
    [
        pytest.param([S], 2, [(True, UP, None)], id="first-success-is-up-without-change"),
        pytest.param([W], 2, [(True, WARN, "warning:unknown->warning")], id="a-warning-shows-at-once"),
        pytest.param(
            [S, W, W, S],
            2,
            [
                (True, UP, None),
                (True, WARN, "warning:up->warning"),
                (True, WARN, None),
                (True, UP, "fixed:warning->up"),
            ],
            id="warning-then-fixed-once-each",
        ),
        pytest.param(
            [W, F, F, W],
            2,
            [
                (True, WARN, "warning:unknown->warning"),
                (False, WARN, None),
                (True, DOWN, "failed:warning->down"),
                (True, WARN, "recovered:down->warning"),
            ],
            id="a-warning-is-not-a-failure-and-recovers-a-down-check",
        ),
        pytest.param(
            [F, F],
            2,
            [(False, UNK, None), (True, DOWN, "failed:unknown->down")],
            id="new-check-fails-at-threshold",
        ),
        pytest.param(
            [S, F, S],
            2,
            [(True, UP, None), (False, UP, None), (True, UP, None)],
            id="blip-below-threshold-is-hidden",
        ),
        pytest.param(
            [S, F, E, F, S],
            2,
            [
                (True, UP, None),
                (False, UP, None),
                (True, DOWN, "failed:up->down"),
                (True, DOWN, None),
                (True, UP, "recovered:down->up"),
            ],
            id="errored-counts-as-failure-recovers-on-first-success",
        ),
        pytest.param([S, F], 1, [(True, UP, None), (True, DOWN, "failed:up->down")], id="threshold-one"),
        pytest.param(
            [S, F, F, S, F, F, F],
            3,
            [
                (True, UP, None),
                (False, UP, None),
                (False, UP, None),
                (True, UP, None),
                (False, UP, None),
                (False, UP, None),
                (True, DOWN, "failed:up->down"),
            ],
            id="success-resets-the-streak",
        ),
    ],
)
def test_sequences(
    outcomes: list[Outcome], threshold: int, expected: list[tuple[bool, Status, str | None]]
) -> None:
    assert run(outcomes, threshold) == expected


def test_down_change_is_dated_from_the_first_failure() -> None:
    state = CheckState(status=Status.UP)
    first = CheckResult(F, "Down", T0, T0)
    state = evaluate(state, first, 2, T0).state
    assert state.confirming_failure
    second = CheckResult(F, "Down", T0 + timedelta(seconds=5), T0 + timedelta(seconds=6))
    ev = evaluate(state, second, 2, T0 + timedelta(seconds=6))
    assert ev.change is not None
    assert ev.change.since == T0
    assert not ev.state.confirming_failure
    assert ev.state.failing_since == T0


def test_recovery_clears_the_streak() -> None:
    down = CheckState(status=Status.DOWN, failures_in_a_row=4, failing_since=T0)
    ev = evaluate(down, CheckResult(S, "Up", T0, T0), 2, T0)
    assert ev.state == CheckState(status=Status.UP, successes_in_a_row=1, last_run_at=T0, changed_at=T0)


def test_news_in_findings_is_a_changed_event_without_a_status_change() -> None:
    up = CheckState(status=Status.UP, successes_in_a_row=3)
    news = FindingsNews("1 new broken link", {"counts": {"new": 1}})
    ev = evaluate(up, CheckResult(S, "Up", T0, T0), 1, T0, news)
    assert ev.change is not None
    assert (ev.change.kind, ev.change.from_status, ev.change.to_status) == (ChangeKind.CHANGED, UP, UP)
    assert ev.change.reason == "1 new broken link" and ev.change.details == {"counts": {"new": 1}}


def test_news_rides_on_a_status_crossing() -> None:
    news = FindingsNews("DNS records changed", {"counts": {"changed": 1}})
    ev = evaluate(CheckState(status=Status.UP), CheckResult(W, "Changed", T0, T0), 1, T0, news)
    assert ev.change is not None and ev.change.kind is ChangeKind.WARNING
    assert ev.change.reason == "Changed" and ev.change.details == {"counts": {"changed": 1}}
