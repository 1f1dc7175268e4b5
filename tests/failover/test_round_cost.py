"""A failover round costs what the D-Monitors and the new state changes cost, not what the
whole instance holds: with no D-Monitor at all, ten times the monitors (every check down)
leave a round's SQLite work about the same. Measured in SQLite's virtual machine steps, so
the test does not depend on the machine's speed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from lookout.app import open_store
from lookout.failover.consumer import build_failover_consumer
from lookout.settings import Settings
from lookout.store.db import transaction
from tests.engine.seed import add_http_monitors
from tests.sqlite_steps import steps_on


def round_steps(tmp_path: Path, monitors: int) -> int:
    settings = Settings(database_url=f"sqlite:///{tmp_path / f'{monitors}.db'}")
    store = open_store(settings)
    add_http_monitors(store, monitors)
    now = datetime.now(UTC).isoformat(sep=" ")
    with transaction(store.sessions) as session:
        # Every uptime check down: the worst case for a query that starts from checks.
        session.execute(
            text(
                "INSERT INTO check_states (check_id, status, failures_in_a_row, successes_in_a_row,"
                " failing_since, last_run_at, changed_at, success_count)"
                " SELECT id, 'down', 2, 0, :now, :now, :now, 0 FROM checks WHERE type = 'uptime'"
            ),
            {"now": now},
        )
    consumer = build_failover_consumer(store.sessions, settings)
    consumer.take_changes()  # warm: the schema read, the cursor row
    store.engine.dispose()
    # Every step counted: each of a round's statements takes fewer than a hundred.
    with steps_on(store.engine, per_call=1) as steps:
        consumer.take_changes()
        consumer.fresh_downs()
        consumer.late_downs()
        consumer.active_monitors()
    store.engine.dispose()
    return steps.total


def test_a_round_does_not_read_every_check(tmp_path: Path) -> None:
    small, large = round_steps(tmp_path, 100), round_steps(tmp_path, 1000)
    assert large < 2 * small + 50, (small, large)
