"""The monitor object of the Oh Dear seed, as field lists and default values."""

MONITOR_KEYS = [
    "id", "team_id", "type", "url", "uses_https", "sort_url", "label", "group_name", "tags",
    "description", "notes", "latest_run_date", "summarized_check_result", "checks",
    "uptime_check_settings", "certificate_health_check_settings", "broken_links_check_settings",
    "dns_check_settings", "lighthouse_check_settings", "application_health_check_settings",
    "domain_check_settings", "performance_check_settings", "sitemap_check_settings",
    "ports_check_settings", "dns_blocklist_check_settings", "ai_check_settings", "crawler_headers",
    "send_report_to_emails", "include_check_types_in_report", "badge_id", "marked_for_deletion_at",
    "created_at", "updated_at",
]  # fmt: skip

CHECK_KEYS = [
    "id", "type", "label", "enabled", "latest_run_ended_at", "latest_run_result", "summary",
    "settings", "active_snooze",
]  # fmt: skip

HTTP_UPTIME_DEFAULTS = {
    "location": "paris",
    "look_for_string": "",
    "absent_string": None,
    "expected_response_headers": [],
    "failed_notification_threshold": 2,
    "http_verb": "get",
    "payload": [],
    "timeout": 5,
    "valid_status_codes": ["2*"],
    "max_redirect_count": 5,
    "expected_final_redirect_url": None,
    "http_client_headers": [],
}

PING_UPTIME_DEFAULTS = {
    "location": "paris",
    "ttl": 64,
    "count": 5,
    "packet_size_in_bytes": 56,
    "acceptable_packet_loss_percentage": 0,
    "acceptable_average_response_time_in_ms": 400,
    "failed_notification_threshold": 2,
}

TCP_UPTIME_DEFAULTS = {
    "location": "paris",
    "tcp_send_string": "",
    "timeout_in_ms": 1000,
    "look_for_string_in_welcome_message": "",
    "failed_notification_threshold": 2,
}

OTHER_DEFAULTS = {
    "certificate_health_check_settings": {"expires_soon_threshold_in_days": None},
    "broken_links_check_settings": {
        "whitelisted_urls": [],
        "check_include_external_links": False,
        "types": ["link", "image", "script", "stylesheet", "og:image"],
        "do_not_crawl_urls": [],
        "force_crawl_urls": [],
        "new_links_only": False,
    },
    "dns_check_settings": {
        "extra_cnames": [],
        "monitor_main_domain": False,
        "ignored_record_types": ["SOA"],
        "check_nameservers_in_sync": True,
    },
    "lighthouse_check_settings": {
        "continent": "europe",
        "device_emulation": "desktop",
        "notification_settings": None,
        "http_client_headers": [],
    },
    "application_health_check_settings": {"result_url": None, "headers": []},
    "domain_check_settings": {"not_supported_reason": None, "expires_soon_threshold_in_days": None},
    "performance_check_settings": {"threshold_in_ms": 3500, "change_percentage": 50},
    "sitemap_check_settings": {"path": "sitemap.xml", "speed": "default"},
    "ports_check_settings": {
        "expected_open_ports": [80, 443],
        "expected_closed_ports": [22, 3306],
        "timeout_per_port_ms": 3000,
        "failure_threshold": 2,
    },
    "dns_blocklist_check_settings": {"use_all_blocklists": True, "enabled_blocklists": []},
}


def assert_contains(actual: dict, expected: dict) -> None:
    """Every expected key is present with the expected value (extra keys are allowed)."""
    for key, value in expected.items():
        assert key in actual, f"missing {key}"
        assert actual[key] == value, f"{key}: {actual[key]!r} != {value!r}"
