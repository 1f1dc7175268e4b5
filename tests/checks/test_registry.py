from lookout.checks.registry import CHECKS
from lookout.checks.uptime import VARIANTS, UptimeCheck
from lookout.model.check_settings import UPTIME_SETTINGS
from lookout.model.check_type import CheckType


def test_uptime_is_registered() -> None:
    assert isinstance(CHECKS[CheckType.UPTIME], UptimeCheck)
    assert CHECKS[CheckType.UPTIME].type is CheckType.UPTIME


def test_every_monitor_type_has_a_variant_with_the_model_settings_expect() -> None:
    assert {kind: variant.settings_model for kind, variant in VARIANTS.items()} == UPTIME_SETTINGS
