from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.engine.seed import migrated


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    """A database of the test's own (the outbox sees every state change in it)."""
    if request.param == "sqlite":
        return migrated(f"sqlite:///{tmp_path / 'lookout.db'}")
    url: str = request.getfixturevalue("fresh_postgres_url")
    return migrated(url)
