"""CHECKS: the only map from a check type to its implementation.

Performance has no entry: it is judged from the uptime run's result by
`lookout.checks.performance.judge_performance`, without a request of its own.
"""

from __future__ import annotations

from lookout.checks.base import Check
from lookout.checks.uptime import UptimeCheck
from lookout.model.check_type import CheckType

CHECKS: dict[CheckType, Check] = {
    CheckType.UPTIME: UptimeCheck(),
}
