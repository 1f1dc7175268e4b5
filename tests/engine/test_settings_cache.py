"""Settings are validated once per check and again only when they change."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lookout.checks.registry import CHECKS
from lookout.engine.settings_cache import SettingsCache
from lookout.model.check_settings import HttpUptimeSettings, TcpUptimeSettings


def test_the_same_settings_are_validated_once() -> None:
    cache = SettingsCache(CHECKS)
    first = cache.get(1, "uptime", "http", {"timeout": 7, "check_interval_in_seconds": 30})
    again = cache.get(1, "uptime", "http", {"timeout": 7, "check_interval_in_seconds": 30})
    assert again is first
    assert cache.validations == 1
    assert isinstance(first.settings, HttpUptimeSettings)
    assert (first.timeout, first.interval) == (7.0, 30.0)
    assert first.threshold == HttpUptimeSettings().failed_notification_threshold


def test_changed_settings_are_validated_again() -> None:
    cache = SettingsCache(CHECKS)
    cache.get(1, "uptime", "http", {"timeout": 7})
    changed = cache.get(1, "uptime", "http", {"timeout": 9, "failed_notification_threshold": 3})
    assert cache.validations == 2
    assert (changed.timeout, changed.threshold) == (9.0, 3)
    assert cache.get(1, "uptime", "http", {"timeout": 9, "failed_notification_threshold": 3}) is changed


def test_a_new_monitor_type_gets_its_own_model() -> None:
    cache = SettingsCache(CHECKS)
    cache.get(1, "uptime", "http", {})
    tcp = cache.get(1, "uptime", "tcp", {"timeout_in_ms": 1500})
    assert isinstance(tcp.settings, TcpUptimeSettings)
    assert tcp.timeout == 1.5


def test_checks_are_kept_apart_and_invalid_settings_raise() -> None:
    cache = SettingsCache(CHECKS)
    assert cache.get(1, "uptime", "http", {"timeout": 7}).timeout == 7
    assert cache.get(2, "uptime", "http", {"timeout": 8}).timeout == 8
    with pytest.raises(ValidationError):
        cache.get(3, "uptime", "http", {"check_interval_in_seconds": 1})
    assert cache.get(1, "uptime", "http", {"timeout": 7}).timeout == 7
    assert len(cache) == 2


def test_checks_with_the_same_settings_share_one_validation() -> None:
    cache = SettingsCache(CHECKS)
    first = cache.get(1, "uptime", "http", {"timeout": 7, "check_interval_in_seconds": 30})
    # Key order differs, as stored JSON may.
    second = cache.get(2, "uptime", "http", {"check_interval_in_seconds": 30, "timeout": 7})
    assert second is first and cache.validations == 1
    assert cache.get(3, "uptime", "tcp", {}).settings is not first.settings
    assert cache.validations == 2


def test_a_full_cache_starts_over() -> None:
    cache = SettingsCache(CHECKS, max_entries=2, max_shared=2)
    for check_id in (1, 2, 3):
        cache.get(check_id, "uptime", "http", {"timeout": check_id})
    assert len(cache) == 1
    cache.get(1, "uptime", "http", {"timeout": 1})
    assert cache.validations == 4
