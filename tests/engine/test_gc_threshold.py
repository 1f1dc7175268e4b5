"""The engine raises the young-generation GC threshold while it runs, then puts it back."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path

from lookout.checks.base import CheckContext
from lookout.engine.facade import Engine, EngineSettings
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from tests.engine.seed import migrated


def _engine(tmp_path: Path, threshold: int | None) -> Engine:
    resolver = Resolver()
    ctx = CheckContext(resolver, TargetGuard(resolver, allow_private=True), lambda: datetime.now(UTC))
    settings = EngineSettings(tick_interval=0.02, flush_interval=0.02, gc_threshold=threshold)
    return Engine(migrated(f"sqlite:///{tmp_path / 'gc.db'}"), ctx, settings)


async def test_threshold_is_raised_while_running_and_restored(tmp_path: Path) -> None:
    before = gc.get_threshold()
    engine = _engine(tmp_path, before[0] + 12_345)
    await engine.start()
    try:
        assert gc.get_threshold() == (before[0] + 12_345, before[1], before[2])
    finally:
        await engine.stop()
    assert gc.get_threshold() == before


async def test_none_leaves_the_interpreter_alone(tmp_path: Path) -> None:
    before = gc.get_threshold()
    engine = _engine(tmp_path, None)
    await engine.start()
    assert gc.get_threshold() == before
    await engine.stop()
