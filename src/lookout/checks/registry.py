"""CHECKS: the only map from a check type to its implementation."""

from __future__ import annotations

from lookout.checks.base import Check
from lookout.model.check_type import CheckType

CHECKS: dict[CheckType, Check] = {}
