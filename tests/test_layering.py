"""The dependency direction of docs/ARCHITECTURE.md, read from the imports themselves.

model <- net <- checks <- engine <- services <- api, web; notify and failover use model and
store, never api. A module importing against the arrow fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lookout"

# For each package: the Lookout packages it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "model": {
        "net",
        "checks",
        "engine",
        "services",
        "api",
        "web",
        "store",
        "notify",
        "failover",
        "app",
        "cli",
        "settings",
    },
    "net": {"checks", "engine", "services", "api", "web", "store", "notify", "failover", "app", "cli"},
    "checks": {"engine", "services", "api", "web", "store", "notify", "failover", "app", "cli"},
    "store": {"net", "checks", "engine", "services", "api", "web", "notify", "failover", "app", "cli"},
    "engine": {"services", "api", "web", "notify", "failover", "app", "cli"},
    "services": {"api", "web", "app", "cli"},
    "notify": {"api", "web", "services", "engine", "app", "cli"},
    "failover": {"api", "web", "services", "engine", "app", "cli"},
    "api": {"app", "cli", "web", "store"},
    "web": {"app", "cli", "api", "store"},
}


def lookout_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "lookout" and len(parts) > 1:
                found.add(parts[1])
    return found


def modules() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.py") if path.relative_to(SRC).parts[0] in FORBIDDEN)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_dependency_direction(path: Path) -> None:
    package = path.relative_to(SRC).parts[0]
    wrong = lookout_imports(path) & FORBIDDEN[package]
    assert not wrong, f"lookout.{package} must not import {sorted(wrong)}"


def test_the_rule_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from lookout.api.deps import services\nimport lookout.store.db\n")
    assert lookout_imports(bad) == {"api", "store"}
